package dev.hearth.qemu;

import dev.hearth.fcproc.KvmProbe;
import dev.hearth.fcproc.KvmStatus;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;

/** What the QEMU backend needs from the host (a seam, so the backend is tested without QEMU). */
interface QemuHost {
  /** Whether KVM can run the guest ({@link KvmProbe}). */
  KvmStatus kvm();

  /** The host's TSC rate in kHz, when it can be told. */
  OptionalLong tscKhz();

  /**
   * Starts QEMU with stdin from /dev/null, stdout this process's own (the serial console) and
   * stderr piped, such that it dies with this process (also on SIGKILL).
   */
  Process start(List<String> argv) throws IOException;
}
