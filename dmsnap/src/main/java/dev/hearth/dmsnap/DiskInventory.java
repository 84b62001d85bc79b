package dev.hearth.dmsnap;

import java.nio.file.Path;
import java.util.List;

/**
 * What of hearth's root-disk machinery exists on the host, for reconcile.
 *
 * @param dmDevices device-mapper names starting with {@code hearth-}, each before the device it
 *     sits on (so removing them in this order works)
 * @param loops loop devices whose backing file is under hearth's state folder
 * @param files disk files in the VM folders (COW files, copies, unfinished copies)
 */
public record DiskInventory(List<String> dmDevices, List<LoopDevice> loops, List<Path> files) {
  public static final DiskInventory EMPTY = new DiskInventory(List.of(), List.of(), List.of());

  public DiskInventory {
    dmDevices = List.copyOf(dmDevices);
    loops = List.copyOf(loops);
    files = List.copyOf(files);
  }

  public boolean isEmpty() {
    return dmDevices.isEmpty() && loops.isEmpty() && files.isEmpty();
  }
}
