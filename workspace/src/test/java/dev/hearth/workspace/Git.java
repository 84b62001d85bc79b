package dev.hearth.workspace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Real git for the tests: makes repositories, runs scripts as a guest's sshd would. */
final class Git {
  private Git() {}

  /** Runs git in {@code dir} with a fixed identity; fails on a non-zero exit. */
  static String git(Path dir, String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("git"));
    argv.addAll(List.of(args));
    Result r = run(dir, argv, new byte[0]);
    if (r.exit != 0) {
      throw new AssertionError(argv + " exited " + r.exit + ": " + r.err);
    }
    return r.out();
  }

  record Result(int exit, byte[] stdout, String err) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  static Result run(Path dir, List<String> argv, byte[] stdin)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile());
    Map<String, String> env = pb.environment();
    env.put("GIT_AUTHOR_NAME", "T");
    env.put("GIT_AUTHOR_EMAIL", "t@example.com");
    env.put("GIT_COMMITTER_NAME", "T");
    env.put("GIT_COMMITTER_EMAIL", "t@example.com");
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("HOME", dir.getRoot().resolve("nonexistent-home").toString());
    env.put("LC_ALL", "C");
    env.remove("GIT_DIR");
    env.remove("GIT_INDEX_FILE");
    Path err = Files.createTempFile("git-err", ".txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    Thread feeder =
        new Thread(
            () -> {
              try (var in = p.getOutputStream()) {
                in.write(stdin);
              } catch (IOException e) {
                // the command ended without reading its input
              }
            });
    feeder.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(argv + " did not end within 120 s");
    }
    feeder.join();
    String stderr = Files.readString(err);
    Files.delete(err);
    return new Result(p.exitValue(), out, stderr);
  }

  /** A new repository with one commit of {@code a.txt} on branch {@code main}. */
  static Path repo(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    git(dir, "init", "-q", "-b", "main");
    Files.writeString(dir.resolve("a.txt"), "a\n");
    git(dir, "add", "a.txt");
    git(dir, "commit", "-q", "-m", "first");
    return dir;
  }

  /** Every file under {@code dir} (symlinks not followed) with its size, mtime and content hash. */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.toList()) {
        String key = dir.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          files.put(key, "link " + Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p)) {
          files.put(
              key,
              Files.size(p)
                  + " "
                  + Files.getLastModifiedTime(p).toMillis()
                  + " "
                  + Files.getPosixFilePermissions(p)
                  + " "
                  + sha(Files.readAllBytes(p)));
        } else {
          files.put(key, "dir " + Files.getLastModifiedTime(p).toMillis());
        }
      }
    }
    return files;
  }

  /** The entries that differ between two snapshots, as "path: before -> after". */
  static List<String> changes(Map<String, String> before, Map<String, String> after) {
    List<String> changed = new ArrayList<>();
    java.util.Set<String> keys = new java.util.TreeSet<>(before.keySet());
    keys.addAll(after.keySet());
    for (String k : keys) {
      if (!java.util.Objects.equals(before.get(k), after.get(k))) {
        changed.add(k + ": " + before.get(k) + " -> " + after.get(k));
      }
    }
    return changed;
  }

  private static String sha(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
