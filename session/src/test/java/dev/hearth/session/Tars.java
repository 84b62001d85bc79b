package dev.hearth.session;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Crafted tar archives for tests, written with Commons Compress: whatever a hostile tar sends. */
final class Tars {
  static final Date MTIME = new Date(1_600_000_000_000L);

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream out;

  Tars() {
    out = new TarArchiveOutputStream(bytes, "UTF-8");
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
    out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  Tars file(String name, int mode, String content) {
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry entry = new TarArchiveEntry(name, true);
    entry.setMode(mode);
    entry.setSize(data.length);
    entry.setModTime(MTIME);
    entry.setIds(1234, 5678);
    return put(entry, data);
  }

  Tars folder(String name, int mode) {
    TarArchiveEntry entry = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
    entry.setMode(mode);
    entry.setModTime(MTIME);
    entry.setIds(1234, 5678);
    return put(entry, new byte[0]);
  }

  Tars symlink(String name, String target) {
    return link(name, TarConstants.LF_SYMLINK, target);
  }

  Tars hardLink(String name, String target) {
    return link(name, TarConstants.LF_LINK, target);
  }

  Tars special(String name, byte type) {
    TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
    entry.setMode(0666);
    entry.setDevMajor(1);
    entry.setDevMinor(3);
    return put(entry, new byte[0]);
  }

  private Tars link(String name, byte type, String target) {
    TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
    entry.setLinkName(target);
    entry.setMode(0777);
    return put(entry, new byte[0]);
  }

  private Tars put(TarArchiveEntry entry, byte[] data) {
    try {
      out.putArchiveEntry(entry);
      out.write(data);
      out.closeArchiveEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /**
   * An archive whose one entry {@code name/x} has a GNU long name of {@code length} bytes ahead of
   * it, written by hand (Commons Compress takes minutes to write one of megabytes).
   */
  static byte[] withLongName(String name, int length) {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    TarArchiveEntry longName =
        new TarArchiveEntry(TarConstants.GNU_LONGLINK, TarConstants.LF_GNUTYPE_LONGNAME);
    longName.setSize(length);
    byte[] header = new byte[512];
    longName.writeEntryHeader(header);
    raw.writeBytes(header);
    byte[] data = new byte[(length + 511) / 512 * 512];
    byte[] prefix = (name + "/").getBytes(StandardCharsets.UTF_8);
    java.util.Arrays.fill(data, 0, length, (byte) 'n');
    System.arraycopy(prefix, 0, data, 0, prefix.length);
    raw.writeBytes(data);
    raw.writeBytes(new Tars().file(name + "/x", 0644, "x").bytes());
    return raw.toByteArray();
  }

  byte[] bytes() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
