package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.guest.NetnsSshd;
import dev.hearth.session.GuestTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's example ({@link ReadmeExample#uname}) run in-process and over the socket, on the VM
 * fixture with a real OpenSSH sshd in a network namespace as the guest of every VM.
 */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "ip", "unshare", "uname"})
class ReadmeExampleHostTest {
  @TempDir Path dir;

  @Test
  void inProcess() throws Exception {
    VmFixture fx = new VmFixture(dir);
    VmFixture.image(fx.layout, "debian");
    String[] host = {""};
    try (Hearth hearth =
        Daemon.openInProcess(
            fx.config, fx.seams().withGuestRoute(vm -> new GuestTarget(vm.name(), host[0], 22)))) {
      try (NetnsSshd sshd = sshd(fx)) {
        host[0] = sshd.host();
        assertThat(ReadmeExample.uname(hearth)).startsWith("exit code 0: Linux ");
        assertThat(hearth.vms().list()).isEmpty();
      }
    }
  }

  @Test
  void overTheSocket() throws Exception {
    VmFixture fx = new VmFixture(dir);
    VmFixture.image(fx.layout, "debian");
    String[] host = {""};
    fx.start(fx.seams().withGuestRoute(vm -> new GuestTarget(vm.name(), host[0], 22)));
    try (fx;
        NetnsSshd sshd = sshd(fx);
        Hearth hearth = Hearth.connect(fx.layout.socket())) {
      host[0] = sshd.host();
      assertThat(ReadmeExample.uname(hearth)).startsWith("exit code 0: Linux ");
      assertThat(hearth.vms().list()).isEmpty();
    }
  }

  private NetnsSshd sshd(VmFixture fx) throws Exception {
    return NetnsSshd.start(dir.resolve("sshd"), Files.readString(fx.layout.sshPublicKey()).trim());
  }
}
