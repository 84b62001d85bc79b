package dev.hearth.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes {@code lib/hearth.jars}: one line, the SHA-256 of the distribution's jars (names and
 * contents). The build runs it; the launcher reads the line with the shell's own {@code read} and
 * dumps the class-data-sharing archive again when it changed (ARCHITECTURE.md, "CLI and
 * distribution"). The jars carry one fixed date (reproducible builds), so neither their dates nor
 * their sizes tell a rebuilt jar from the old one, and comparing contents at every command would
 * cost more than the archive saves.
 */
final class JarsDigest {
  private JarsDigest() {}

  /** {@code args}: the file to write, then the jars and folders of jars to digest. */
  public static void main(String[] args) throws IOException {
    List<Path> jars = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      jars.addAll(jars(Path.of(args[i])));
    }
    Files.writeString(Path.of(args[0]), digest(jars) + "\n", StandardCharsets.US_ASCII);
  }

  /** {@code path} itself when it is a file, else the jars directly in it. */
  private static List<Path> jars(Path path) throws IOException {
    if (!Files.isDirectory(path)) {
      return List.of(path);
    }
    try (Stream<Path> files = Files.list(path)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jar")).toList();
    }
  }

  /**
   * The SHA-256, in hex, of each jar's file name and contents, in the order of their names: the
   * same jars give the same digest wherever they lie and in whichever order they are named.
   */
  static String digest(List<Path> jars) throws IOException {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    List<Path> sorted =
        jars.stream().sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    byte[] buffer = new byte[1 << 16];
    for (Path jar : sorted) {
      byte[] name = jar.getFileName().toString().getBytes(StandardCharsets.UTF_8);
      sha256.update(name);
      sha256.update((byte) 0);
      sha256.update(longBytes(Files.size(jar)));
      try (InputStream in = Files.newInputStream(jar)) {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          sha256.update(buffer, 0, n);
        }
      }
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  /** The size before the contents, so that no two lists of jars run into each other. */
  private static byte[] longBytes(long value) {
    byte[] bytes = new byte[Long.BYTES];
    for (int i = Long.BYTES - 1; i >= 0; i--) {
      bytes[i] = (byte) value;
      value >>>= 8;
    }
    return bytes;
  }
}
