package dev.hearth.fcproc.process;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A VM's serial console log as written by {@link FirecrackerLauncher}: the current file and the one
 * rotated out before it ({@code <log>.1}). Each holds at most half the configured cap, so both
 * together never exceed it.
 */
public final class ConsoleLog {
  private ConsoleLog() {}

  /** The file holding the output before the current file's. */
  public static Path previous(Path log) {
    return log.resolveSibling(log.getFileName() + ".1");
  }

  /** Bytes each of the two files may hold for a total cap. */
  static long halfCap(long cap) {
    return Math.max(1, cap / 2);
  }

  /** The last {@code maxBytes} of the log (across the rotation), "" when there is none. */
  public static String tail(Path log, int maxBytes) {
    try {
      byte[] current = lastBytes(log, maxBytes);
      byte[] older =
          current.length < maxBytes
              ? lastBytes(previous(log), maxBytes - current.length)
              : new byte[0];
      byte[] all = new byte[older.length + current.length];
      System.arraycopy(older, 0, all, 0, older.length);
      System.arraycopy(current, 0, all, older.length, current.length);
      return new String(all, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(console log " + log + " unreadable: " + e.getMessage() + ")";
    }
  }

  private static byte[] lastBytes(Path file, int maxBytes) throws IOException {
    if (maxBytes <= 0 || !Files.exists(file)) {
      return new byte[0];
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      int n = (int) Math.min(length, maxBytes);
      byte[] bytes = new byte[n];
      f.seek(length - n);
      f.readFully(bytes);
      return bytes;
    } catch (FileNotFoundException e) {
      return new byte[0];
    }
  }
}
