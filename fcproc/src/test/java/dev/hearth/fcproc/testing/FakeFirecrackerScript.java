package dev.hearth.fcproc.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an executable sh script that runs {@link FakeFirecracker} on this JVM's class path, so
 * that the fake can be given as {@code firecracker_bin}. The spec file is located once here and
 * passed on, so the fake finds it from any working folder.
 */
public final class FakeFirecrackerScript {
  private FakeFirecrackerScript() {}

  /** Writes the script with default behaviour. */
  public static Path write(Path script) {
    return write(script, Map.of());
  }

  /**
   * Writes the script.
   *
   * @param systemProperties extra {@code -D} settings for the fake, e.g. {@link
   *     FakeFirecracker#CONSOLE_NOISE_PROPERTY}
   */
  public static Path write(Path script, Map<String, String> systemProperties) {
    return write(script, systemProperties, FakeFirecrackerMain.class.getName(), "");
  }

  /**
   * The same for another main class of the test-jar (the stand-in jailer), after {@code preamble}
   * (shell lines run before the JVM).
   */
  static Path write(
      Path script, Map<String, String> systemProperties, String mainClass, String preamble) {
    Map<String, String> props = new TreeMap<>(systemProperties);
    // Without a reference copy the fake validates against fcproc's bundled one, as the tests do.
    ReferenceSpec.find().ifPresent(p -> props.putIfAbsent(ReferenceSpec.PROPERTY, p.toString()));
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A fake starts per VM: start fast and stay small.
    argv.add("-XX:TieredStopAtLevel=1");
    argv.add("-XX:+UseSerialGC");
    argv.add("-Xmx64m");
    argv.add("-cp");
    argv.add(System.getProperty("java.class.path"));
    props.forEach((k, v) -> argv.add("-D" + k + "=" + v));
    argv.add(mainClass);
    StringBuilder text = new StringBuilder("#!/bin/sh\n# hearth fake firecracker\n");
    text.append(preamble).append("exec");
    for (String word : argv) {
      text.append(' ').append(quote(word));
    }
    text.append(" \"$@\"\n");
    try {
      Files.createDirectories(script.toAbsolutePath().getParent());
      Files.writeString(script, text);
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the fake firecracker script " + script, e);
    }
    return script;
  }

  private static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
