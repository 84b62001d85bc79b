package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leak checks themselves must see a fake firecracker, however long its command line. */
class VmAssertionsTest {
  @TempDir Path dir;

  @Test
  void aFakeWithACommandLineOver4KibIsFoundAndKilled() throws Exception {
    VmFixture fx = new VmFixture(dir);
    String socket = fx.layout.vmSocketsDir().resolve("0123456789abcdef.sock").toString();
    // Like a fake firecracker: a long class path first, the API socket at the end; `read` is a
    // shell builtin, so no child outlives the kill.
    Process fake =
        new ProcessBuilder("sh", "-c", "read line", "x".repeat(5000), "--api-sock", socket).start();
    try {
      assertThat(VmAssertions.fakeProcessesOf(fx))
          .extracting(ProcessHandle::pid)
          .containsExactly(fake.pid());

      VmAssertions.killLeftoverFakes(fx);

      Await.exit(fake, Await.DEFAULT, "the killed fake");
      assertThat(VmAssertions.fakeProcessesOf(fx)).isEmpty();
    } finally {
      fake.destroyForcibly();
    }
  }
}
