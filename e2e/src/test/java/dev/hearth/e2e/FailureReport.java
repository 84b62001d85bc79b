package dev.hearth.e2e;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Keeps the logs of a failed end-to-end step and says where they are. Each log is copied into
 * {@code <keptRoot>/<test>/}, and the failure is wrapped in an {@link AssertionError} whose message
 * names that folder, each kept file, and the last lines of each, so that the test report alone
 * shows what the guest and the daemon were doing.
 */
final class FailureReport {
  static final int TAIL_LINES = 40;
  // A line of console output can be long (a kernel panic dump); the message stays readable.
  private static final int MAX_LINE_CHARS = 300;
  private static final int TAIL_BYTES = 64 * 1024;

  private final Path keptRoot;

  FailureReport(Path keptRoot) {
    this.keptRoot = keptRoot.toAbsolutePath().normalize();
  }

  /** Where the logs of {@code test} are kept. */
  Path folder(String test) {
    return keptRoot.resolve(test.replaceAll("[^A-Za-z0-9_.-]", "_"));
  }

  /**
   * Copies the logs and builds the error to throw instead of {@code failure}, with it as the cause.
   *
   * @param logs kept file name (e.g. {@code daemon.log}) to the log's current path, in the order
   *     the message lists them; a log that does not exist is named as missing
   */
  AssertionError report(String test, Throwable failure, Map<String, Path> logs) {
    Path folder = folder(test);
    StringBuilder message = new StringBuilder();
    message
        .append(test)
        .append(" failed: ")
        .append(failure)
        .append("\nLogs kept in ")
        .append(folder);
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      message.append(" (could not create the folder: ").append(e).append(')');
    }
    for (Map.Entry<String, Path> log : logs.entrySet()) {
      Path source = log.getValue();
      Path kept = folder.resolve(log.getKey());
      message.append("\n\n== ").append(kept);
      if (!Files.isRegularFile(source)) {
        message.append(": no log, nothing at ").append(source);
        continue;
      }
      try {
        Files.copy(source, kept, StandardCopyOption.REPLACE_EXISTING);
        message.append(" (copy of ").append(source).append("), last lines:\n");
        message.append(tail(kept, TAIL_LINES));
      } catch (IOException e) {
        message.append(": could not copy ").append(source).append(": ").append(e);
      }
    }
    return new AssertionError(message.toString(), failure);
  }

  /**
   * The last {@code lines} lines of the file, each cut to a readable length. Only the file's last
   * {@value #TAIL_BYTES} bytes are read; bytes that are not UTF-8 (a console log may hold any)
   * become replacement characters.
   */
  static String tail(Path file, int lines) throws IOException {
    byte[] bytes;
    try (SeekableByteChannel channel = Files.newByteChannel(file)) {
      long start = Math.max(0, channel.size() - TAIL_BYTES);
      channel.position(start);
      ByteBuffer buffer = ByteBuffer.allocate((int) (channel.size() - start));
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // read until full or the end
      }
      bytes = Arrays.copyOf(buffer.array(), buffer.position());
    }
    List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().toList();
    List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
    if (last.isEmpty()) {
      return "   (empty)";
    }
    StringBuilder out = new StringBuilder();
    for (String line : last) {
      String cut =
          line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) + "..." : line;
      out.append("   | ").append(cut).append('\n');
    }
    out.setLength(out.length() - 1);
    return out.toString();
  }
}
