package dev.hearth.fcproc;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The real {@link KvmProbe}: the device must exist, must not be PVM's (the {@code kvm_pvm} module
 * is loaded) and must open for reading and writing, which is what Firecracker and QEMU do with it.
 */
final class LinuxKvmProbe implements KvmProbe {
  private final Path device;
  private final Path pvmModule;

  /**
   * @param device {@code /dev/kvm}
   * @param pvmModule {@code /sys/module/kvm_pvm}, which exists while PVM's KVM is loaded
   */
  LinuxKvmProbe(Path device, Path pvmModule) {
    this.device = device;
    this.pvmModule = pvmModule;
  }

  @Override
  public KvmStatus probe() {
    if (!Files.exists(device)) {
      return new KvmStatus(KvmStatus.Kind.MISSING, "there is no " + device);
    }
    if (Files.exists(pvmModule)) {
      return new KvmStatus(
          KvmStatus.Kind.PVM,
          device
              + " is PVM's (module kvm_pvm is loaded), which boots only guest kernels built for"
              + " PVM");
    }
    try (FileChannel c =
        FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      return new KvmStatus(KvmStatus.Kind.USABLE, device + " opens for reading and writing");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return new KvmStatus(
          KvmStatus.Kind.NO_ACCESS,
          device + " cannot be opened for reading and writing (" + reason(e) + ")");
    }
  }

  private static String reason(Exception e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
