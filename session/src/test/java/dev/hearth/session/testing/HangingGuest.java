package dev.hearth.session.testing;

import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * A guest whose calls hang, for tests of deadlines and cancellation: the {@code sshd_config} line
 * {@link #forceCommand()} runs each command as sshd would, except that the session list script
 * finds a {@code head} that sleeps. Every hang is {@code sleep} of {@link #sleepArgument()}, a
 * duration of about 1,000 s that names this guest, so that its processes can be found ({@link
 * #sleeps()}) and killed by pid at the end ({@link #killSleeps()}).
 */
public final class HangingGuest {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path wrapper;
  private final String sleepArgument;
  private final Path hangsBegun;

  private HangingGuest(Path wrapper, String sleepArgument, Path hangsBegun) {
    this.wrapper = wrapper;
    this.sleepArgument = sleepArgument;
    this.hangsBegun = hangsBegun;
  }

  /** Writes the wrapper and the sleeping {@code head} under {@code dir}. */
  public static HangingGuest in(Path dir) throws IOException {
    String sleep = "1000." + (100000 + RANDOM.nextInt(900000));
    Path bin = Files.createDirectories(dir.resolve("hanging-bin"));
    Path hangsBegun = dir.resolve("hangs-begun");
    Files.writeString(hangsBegun, "");
    executable(
        bin.resolve("head"),
        "#!/bin/sh\necho begun >> " + hangsBegun + "\nexec sleep " + sleep + "\n");
    // The list script is the only one that prints its boot line ("boot %s").
    Path wrapper =
        executable(
            dir.resolve("guest-command"),
            "#!/bin/sh\n"
                + "case \"$SSH_ORIGINAL_COMMAND\" in\n"
                + "  *'boot %s'*) PATH="
                + bin
                + ":$PATH; export PATH ;;\n"
                + "esac\n"
                + "exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n");
    return new HangingGuest(wrapper, sleep, hangsBegun);
  }

  private static Path executable(Path file, String text) throws IOException {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  /** The {@code sshd_config} line that makes an sshd this guest. */
  public String forceCommand() {
    return "ForceCommand " + wrapper;
  }

  /** The argument of every sleep of this guest: run {@code sleep} with it to hang a command. */
  public String sleepArgument() {
    return sleepArgument;
  }

  /** The sleeps of this guest now running. */
  public List<ProcessHandle> sleeps() {
    return ProcessHandle.allProcesses()
        .filter(
            p ->
                p.info().commandLine().orElse("").endsWith("sleep " + sleepArgument) && p.isAlive())
        .toList();
  }

  /**
   * How many hanging {@code head}s began, ended or not: a test that a hang was ended checks first
   * that it began, or its check of {@link #sleeps()} proves nothing.
   */
  public long hangsBegun() throws IOException {
    return Files.readAllLines(hangsBegun).size();
  }

  /** Waits until one of this guest's sleeps runs. */
  public void awaitSleeping(String what) throws Exception {
    Await.until(Duration.ofMinutes(2), what + " to hang in the guest", () -> !sleeps().isEmpty());
  }

  /** Kills this guest's sleeps, by pid. */
  public void killSleeps() {
    sleeps().forEach(ProcessHandle::destroyForcibly);
  }
}
