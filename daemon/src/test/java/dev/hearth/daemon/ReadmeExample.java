package dev.hearth.daemon;

import dev.hearth.core.Config;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * README's "Use it from Java" example, compiled here; {@link ReadmeExampleTest} checks that the
 * README shows exactly the lines between the markers, and {@link ReadmeExampleHostTest} runs them
 * against a daemon with a real SSH server as the guest.
 */
final class ReadmeExample {
  private ReadmeExample() {}

  // README begin
  /** Creates VM "demo" from image "debian", runs uname in it, deletes it. */
  static String uname(Hearth hearth) throws InterruptedException {
    hearth.vms().create(VmSpec.of("demo", "debian")).operation().await();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = hearth.vms().exec("demo", ExecSpec.of("uname", "-a"), (fd, b) -> out.writeBytes(b));
    hearth.vms().delete("demo", true);
    return "exit code " + code + ": " + out.toString(StandardCharsets.UTF_8);
  }

  static String inProcess() throws InterruptedException {
    try (Hearth hearth = Hearth.open(Config.load(Config.DEFAULT_FILE))) {
      return uname(hearth);
    }
  }
  // README end
}
