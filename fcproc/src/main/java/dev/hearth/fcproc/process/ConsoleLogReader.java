package dev.hearth.fcproc.process;

import dev.hearth.fcproc.FcprocException;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reads a VM's console log as the launcher writes it: the current file and the one rotated out
 * before it ({@link ConsoleLog#previous}). Follows the log across a rotation by the files'
 * identities, so no output is lost or repeated when the current file is moved aside.
 */
public final class ConsoleLogReader {
  /** The most log bytes one answer carries, so that a reply stays far below the 1 MiB line cap. */
  public static final int MAX_REPLY_BYTES = 512 * 1024;

  /** The most bytes one notification carries. */
  public static final int CHUNK_BYTES = 64 * 1024;

  /** How far into which file the reader has got. */
  public record Position(Object fileKey, long offset) {}

  /** The end of the log and the position after it. */
  public record Tail(byte[] bytes, Position position) {}

  /** What was appended and the position after it. */
  public record Read(byte[] bytes, Position position) {}

  /**
   * The last {@code lines} lines of the log (all of it for a negative count), at most {@link
   * #MAX_REPLY_BYTES}, and the position after them.
   */
  public Tail tail(Path log, long lines) {
    Object key = fileKey(log);
    long size = size(log);
    // Only the last MAX_REPLY_BYTES of either file can be answered: the guest wrote the files, and
    // however large an admin's console_log_max_size, one answer reads no more than that of each.
    byte[] older = readLast(ConsoleLog.previous(log), Long.MAX_VALUE, MAX_REPLY_BYTES);
    byte[] current = readLast(log, size, MAX_REPLY_BYTES);
    byte[] all = new byte[older.length + current.length];
    System.arraycopy(older, 0, all, 0, older.length);
    System.arraycopy(current, 0, all, older.length, current.length);
    int from = Math.max(0, all.length - MAX_REPLY_BYTES);
    if (lines >= 0) {
      from = Math.max(from, startOfLastLines(all, lines));
    }
    return new Tail(Arrays.copyOfRange(all, from, all.length), new Position(key, size));
  }

  /** What was appended since {@code position}, across a rotation. */
  public Read readFrom(Path log, Position position) {
    Object key = fileKey(log);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long offset = position.offset();
    if (!Objects.equals(key, position.fileKey())) {
      Path previous = ConsoleLog.previous(log);
      if (position.fileKey() != null && Objects.equals(fileKey(previous), position.fileKey())) {
        out.writeBytes(readRange(previous, offset, Long.MAX_VALUE));
      }
      offset = 0;
    }
    long size = size(log);
    if (size < offset) {
      offset = 0; // truncated in place: start again
    }
    out.writeBytes(readRange(log, offset, size));
    return new Read(out.toByteArray(), new Position(key, size));
  }

  /** The bytes in pieces of at most {@link #CHUNK_BYTES}. */
  public static List<byte[]> chunks(byte[] bytes) {
    List<byte[]> chunks = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += CHUNK_BYTES) {
      chunks.add(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + CHUNK_BYTES)));
    }
    return chunks;
  }

  private static int startOfLastLines(byte[] all, long lines) {
    if (lines == 0) {
      return all.length;
    }
    int end = all.length;
    if (end > 0 && all[end - 1] == '\n') {
      end--; // the final newline ends the last line, it does not start a new one
    }
    long seen = 0;
    for (int i = end - 1; i >= 0; i--) {
      if (all[i] == '\n' && ++seen == lines) {
        return i + 1;
      }
    }
    return 0;
  }

  private static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new FcprocException("cannot read the console log " + file + ": " + e, e);
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new FcprocException("cannot read the console log " + file + ": " + e, e);
    }
  }

  /** The last {@code bytes} bytes of the file before {@code to} (its length at most). */
  private static byte[] readLast(Path file, long to, int bytes) {
    return readRange(file, Math.max(0, Math.min(to, size(file)) - bytes), to);
  }

  private static byte[] readRange(Path file, long from, long to) {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long end = Math.min(to, f.length());
      if (end <= from) {
        return new byte[0];
      }
      int n = (int) Math.min(end - from, Integer.MAX_VALUE - 8);
      byte[] bytes = new byte[n];
      f.seek(from);
      f.readFully(bytes);
      return bytes;
    } catch (FileNotFoundException e) {
      return new byte[0];
    } catch (IOException e) {
      throw new FcprocException("cannot read the console log " + file + ": " + e, e);
    }
  }
}
