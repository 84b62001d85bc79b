package dev.hearth.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A deterministic git repository for the workspace bench: {@code files} text files (sizes spread
 * around {@code bytes / files}, text of words so that it packs as source code does) added over
 * {@code commits} commits on {@code main}, each commit adding its share of files and rewriting two
 * earlier ones, fed to one {@code git fast-import} rather than a process per commit; then checked
 * out and given uncommitted state: staged and unstaged changes, staged and unstaged deletions,
 * untracked files and an ignored one. The same arguments give the same commits (fixed dates and
 * authors) and the same files.
 */
final class RepositoryGenerator {
  private static final String[] WORDS = {
    "import",
    "static",
    "final",
    "class",
    "return",
    "value",
    "stream",
    "buffer",
    "guest",
    "host",
    "public",
    "private",
    "void",
    "int",
    "long",
    "String",
    "List",
    "Map",
    "new",
    "if",
    "else",
    "for",
    "while",
    "throw",
    "catch",
    "try",
    "null",
    "true",
    "false",
    "this",
    "super",
    "=",
    "+",
    "==",
    "!=",
    "(",
    ")",
    "{",
    "}",
    ";",
    "workspace",
    "bundle",
    "commit",
    "tree",
    "index",
    "ref"
  };
  private static final int REWRITES_PER_COMMIT = 2;
  private static final long EPOCH = 1_700_000_000L;

  /** What was made: the work tree as a checkout of the host's state holds it. */
  record Result(
      long workTreeBytes,
      int workTreeFiles,
      int staged,
      int unstaged,
      int deleted,
      int untracked,
      long gitBytes) {}

  private final int files;
  private final int commits;
  private final long bytes;

  RepositoryGenerator(int files, int commits, long bytes) {
    if (files < commits) {
      throw new IllegalArgumentException(
          "need at least one file per commit: " + files + " files, " + commits + " commits");
    }
    this.files = files;
    this.commits = commits;
    this.bytes = bytes;
  }

  Result generate(Path repo) throws IOException, InterruptedException {
    Files.createDirectories(repo);
    git(repo, "init", "-q", "-b", "main");
    fastImport(repo);
    git(repo, "reset", "-q", "--hard");

    // Uncommitted state, chosen by index so that it is the same each time.
    List<String> staged = new ArrayList<>();
    List<String> unstaged = new ArrayList<>();
    List<String> stagedDeletions = new ArrayList<>();
    List<String> unstagedDeletions = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      switch (i % 200) {
        case 1 -> staged.add(path(i));
        case 2 -> unstaged.add(path(i));
        case 3 -> (i % 400 == 3 ? stagedDeletions : unstagedDeletions).add(path(i));
        default -> {}
      }
    }
    for (String p : staged) {
      Files.write(repo.resolve(p), content(p, 1_000_001));
    }
    addAll(repo, "add", staged);
    addAll(repo, "rm", stagedDeletions); // prints a line per file, which run drops
    for (String p : unstaged) {
      Files.write(repo.resolve(p), content(p, 1_000_002));
    }
    for (String p : unstagedDeletions) {
      Files.delete(repo.resolve(p));
    }
    int untracked = Math.max(1, files / 200);
    for (int i = 0; i < untracked; i++) {
      String p = "untracked/u" + i + ".txt";
      Files.createDirectories(repo.resolve(p).getParent());
      Files.write(repo.resolve(p), content(p, 1_000_003));
    }
    Files.createDirectories(repo.resolve("build"));
    Files.writeString(repo.resolve("build/ignored.o"), "ignored\n");
    // A settled index, as a user's repository has: no racily clean entries to hash again.
    Thread.sleep(1_100);
    git(repo, "update-index", "-q", "--refresh");

    long workTree = 0;
    int workTreeFiles = 0;
    long gitBytes = 0;
    try (Stream<Path> all = Files.walk(repo)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        Path relative = repo.relativize(p);
        if (relative.startsWith(".git")) {
          gitBytes += Files.size(p);
        } else if (!relative.startsWith("build")) {
          workTree += Files.size(p);
          workTreeFiles++;
        }
      }
    }
    return new Result(
        workTree,
        workTreeFiles,
        staged.size() + stagedDeletions.size(),
        unstaged.size() + unstagedDeletions.size(),
        stagedDeletions.size() + unstagedDeletions.size(),
        untracked,
        gitBytes);
  }

  /** File {@code i}'s path: 50 files a folder, 20 folders a top folder. */
  static String path(int i) {
    return String.format("m%02d/d%03d/f%05d.txt", i / 1000, i / 50, i);
  }

  /** The text of {@code path} in its {@code version}, of a size around the mean. */
  byte[] content(String path, int version) {
    SplittableRandom random = new SplittableRandom(path.hashCode() * 1_000_003L + version);
    long mean = Math.max(2, bytes / files);
    int size = (int) (mean / 2 + random.nextLong(mean));
    byte[] out = new byte[size];
    int at = 0;
    int column = 0;
    while (at < size) {
      byte[] word = WORDS[random.nextInt(WORDS.length)].getBytes(StandardCharsets.US_ASCII);
      for (int k = 0; k < word.length && at < size; k++) {
        out[at++] = word[k];
      }
      column += word.length + 1;
      if (at < size) {
        out[at++] = (byte) (column > 72 ? '\n' : ' ');
        column = column > 72 ? 0 : column;
      }
    }
    return out;
  }

  private void fastImport(Path repo) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("git", "fast-import", "--quiet")
            .directory(repo.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    SplittableRandom choose = new SplittableRandom(42);
    try (OutputStream out = new BufferedOutputStream(p.getOutputStream(), 1 << 20)) {
      int added = 0;
      for (int c = 0; c < commits; c++) {
        int upTo = (int) ((long) files * (c + 1) / commits);
        write(out, "commit refs/heads/main\n");
        String who = "Bench <bench@hearth.invalid> " + (EPOCH + 60L * c) + " +0000\n";
        write(out, "author " + who + "committer " + who);
        data(out, ("commit " + c + "\n").getBytes(StandardCharsets.US_ASCII));
        if (c == 0) {
          write(out, "M 100644 inline .gitignore\n");
          data(out, "build/\n".getBytes(StandardCharsets.US_ASCII));
        }
        for (int r = 0; r < REWRITES_PER_COMMIT && added > 0; r++) {
          String path = path(choose.nextInt(added));
          write(out, "M 100644 inline " + path + "\n");
          data(out, content(path, c + 1));
        }
        for (; added < upTo; added++) {
          String path = path(added);
          write(out, "M " + (added % 100 == 7 ? "100755" : "100644") + " inline " + path + "\n");
          data(out, content(path, 0));
        }
      }
    }
    if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("git fast-import failed in " + repo);
    }
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
  }

  private static void data(OutputStream out, byte[] bytes) throws IOException {
    write(out, "data " + bytes.length + "\n");
    out.write(bytes);
    out.write('\n');
  }

  private static void addAll(Path repo, String command, List<String> paths)
      throws IOException, InterruptedException {
    if (paths.isEmpty()) {
      return;
    }
    Path list = Files.createTempFile("wsbench-paths", ".txt");
    try {
      Files.write(list, paths, StandardCharsets.UTF_8);
      git(repo, command, "--pathspec-from-file=" + list);
    } finally {
      Files.delete(list);
    }
  }

  private static void git(Path repo, String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("git", "-C", repo.toString()));
    argv.addAll(List.of(args));
    BenchShell.run(new ProcessBuilder(argv), String.join(" ", argv));
  }
}
