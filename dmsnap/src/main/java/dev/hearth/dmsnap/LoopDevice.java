package dev.hearth.dmsnap;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * A loop device and the file behind it.
 *
 * @param device the device node, e.g. {@code /dev/loop3}
 * @param backingFile the file the loop reads and writes
 */
public record LoopDevice(String device, Path backingFile) {
  public LoopDevice {
    requireNonNull(device, "device");
    requireNonNull(backingFile, "backingFile");
  }
}
