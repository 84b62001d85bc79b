package dev.hearth.session;

import dev.hearth.core.Printable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes the entries of a guest's tar into a private staging folder, one at a time, checking each
 * (see {@link GuestTarExtractor}): what is refused is recorded, not written. Folders are made
 * writable and get their own modes and times only once placed ({@link #folders()}), so that an
 * archive's read-only folder can still receive its files.
 */
final class TarEntries {
  /**
   * Most bytes read between two entries (headers, GNU long names, PAX headers, sparse maps, an
   * entry's unread data): Commons Compress keeps long names and PAX headers in memory (global ones
   * for the rest of the archive, bounded in all by {@link GuestTarInput}).
   */
  static final int HEADER_BUDGET = 1024 * 1024 + 64 * 1024;

  private static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final int SET_ID_BITS = 06000;

  private final Path staging;
  private final String name;
  private final ArchiveLimits limits;
  private final List<RefusedEntry> refused = new ArrayList<>();
  private final StagedFolders folders;
  private long refusedCount;
  private long entries;
  private long fileBytes;
  private Metered metered;

  TarEntries(Path staging, String name, ArchiveLimits limits) {
    this(staging, name, limits, StagedFolders.BUDGET);
  }

  /** With at most {@code folderBudget} bytes kept for folders (see {@link StagedFolders}). */
  TarEntries(Path staging, String name, ArchiveLimits limits, long folderBudget) {
    this.staging = staging;
    this.name = name;
    this.limits = limits;
    this.folders = new StagedFolders(folderBudget);
  }

  /**
   * Reads the archive to its end-of-archive records (the stream itself is not closed, nor read
   * further) and writes what passes the checks under the staging folder.
   *
   * @throws GuestArchiveException past a bound, for an archive that is not a tar, or when the
   *     host's filesystem fails
   */
  void readAll(InputStream archive) {
    metered = new Metered(archive, limits.maxBytes());
    GuestTarInput tar = new GuestTarInput(metered);
    byte[] buffer = new byte[64 * 1024];
    while (true) {
      TarArchiveEntry entry;
      metered.startHeaders();
      try {
        entry = tar.getNextEntry();
      } catch (IOException | RuntimeException e) {
        throw metered.exceeded().or(tar::exceeded).orElseGet(() -> notATar(e));
      }
      metered.endHeaders();
      if (entry == null) {
        return;
      }
      if (++entries > limits.maxEntries()) {
        throw tooLarge("more than " + limits.maxEntries() + " entries");
      }
      try {
        write(entry, tar, buffer);
        // What the entry did not use (a refused one's data): read here rather than skipped by
        // getNextEntry, so that it counts against the archive's size, not the header budget.
        while (tar.read(buffer) >= 0) {
          // discarded
        }
      } catch (IOException e) {
        throw metered.exceeded().orElseGet(() -> failed(entry.getName(), e));
      }
    }
  }

  /** The archive's bytes read so far. */
  long archiveBytes() {
    return metered == null ? 0 : metered.total;
  }

  List<RefusedEntry> refused() {
    return List.copyOf(refused);
  }

  long refusedCount() {
    return refusedCount;
  }

  /** The folders written, to get their modes and times once in place. */
  StagedFolders folders() {
    return folders;
  }

  /** The refusal of the requested entry itself, when it was refused. */
  Optional<RefusedEntry> refusedRoot() {
    return refused.stream()
        .filter(r -> segmentsOrEmpty(r.name()).equals(List.of(name)))
        .findFirst();
  }

  private void write(TarArchiveEntry entry, TarArchiveInputStream tar, byte[] buffer)
      throws IOException {
    String entryName = entry.getName();
    checkNameLength(entryName, "an entry's name");
    Segments segments = segments(entryName);
    if (segments.refusal != null) {
      refuse(entryName, segments.refusal);
      return;
    }
    char type = (char) entry.getLinkFlag();
    switch (type) {
      case (char) TarConstants.LF_OLDNORM,
          (char) TarConstants.LF_NORMAL,
          (char) TarConstants.LF_CONTIG,
          (char) TarConstants.LF_GNUTYPE_SPARSE -> {
        if (!tar.canReadEntryData(entry)) {
          refuse(entryName, "data in a form this reader cannot read");
        } else if ((entry.getMode() & SET_ID_BITS) != 0) {
          refuse(entryName, "a setuid or setgid file");
        } else {
          writeFile(entry, segments.list, tar, buffer);
        }
      }
      case (char) TarConstants.LF_DIR -> writeFolder(entry, segments.list);
      case (char) TarConstants.LF_SYMLINK -> writeSymlink(entry, segments.list);
      case (char) TarConstants.LF_LINK -> writeHardLink(entry, segments.list);
      case (char) TarConstants.LF_CHR, (char) TarConstants.LF_BLK -> refuse(entryName, "a device");
      case (char) TarConstants.LF_FIFO -> refuse(entryName, "a FIFO");
      default ->
          refuse(entryName, "an entry of type '" + Printable.escape(String.valueOf(type)) + "'");
    }
  }

  private void writeFile(
      TarArchiveEntry entry, List<String> segments, TarArchiveInputStream tar, byte[] buffer)
      throws IOException {
    Optional<Path> path = placeFor(entry.getName(), segments);
    if (path.isEmpty()) {
      return;
    }
    try (SeekableByteChannel out =
        Files.newByteChannel(
            path.get(),
            Set.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
            PosixFilePermissions.asFileAttribute(PRIVATE_FILE))) {
      int n;
      while ((n = tar.read(buffer)) >= 0) {
        fileBytes += n;
        if (fileBytes > limits.maxBytes()) {
          throw tooLarge("files of more than " + limits.maxBytes() + " bytes in all");
        }
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
      }
    }
    Files.setPosixFilePermissions(path.get(), HostEntries.permissions(entry.getMode()));
    if (entry.getLastModifiedTime() != null) {
      Files.setLastModifiedTime(path.get(), entry.getLastModifiedTime());
    }
  }

  private void writeFolder(TarArchiveEntry entry, List<String> segments) throws IOException {
    Optional<Path> parentOk = folderOf(entry.getName(), segments);
    if (parentOk.isEmpty()) {
      return;
    }
    Path path = parentOk.get().resolve(segments.get(segments.size() - 1));
    Optional<BasicFileAttributes> existing = HostEntries.attributes(path);
    if (existing.isPresent() && !existing.get().isDirectory()) {
      refuse(entry.getName(), "a folder where the archive already put a file or link");
      return;
    }
    if (existing.isEmpty()) {
      Files.createDirectory(path);
    }
    // setgid and sticky bits are dropped: the copy belongs to the user, like any file they make.
    folders.put(
        segments,
        new StagedFolders.Meta(
            HostEntries.permissions(entry.getMode()), entry.getLastModifiedTime()));
  }

  private void writeSymlink(TarArchiveEntry entry, List<String> segments) throws IOException {
    String target = entry.getLinkName();
    checkNameLength(target, "a link's target");
    Optional<String> outside = symlinkOutside(segments, target);
    if (outside.isPresent()) {
      refuse(entry.getName(), outside.get());
      return;
    }
    Optional<Path> path = placeFor(entry.getName(), segments);
    if (path.isPresent()) {
      Files.createSymbolicLink(path.get(), Path.of(target));
    }
  }

  private void writeHardLink(TarArchiveEntry entry, List<String> segments) throws IOException {
    String target = entry.getLinkName();
    checkNameLength(target, "a link's target");
    Segments targetSegments = segments(target);
    String refusal = "a hard link to " + quoted(target) + ", outside the copy";
    if (targetSegments.refusal != null) {
      refuse(entry.getName(), refusal);
      return;
    }
    if (targetSegments.list.equals(segments)) {
      refuse(entry.getName(), "a hard link to itself");
      return;
    }
    Optional<Path> existing = existingFile(targetSegments.list);
    if (existing.isEmpty()) {
      refuse(
          entry.getName(),
          "a hard link to " + quoted(target) + ", which is not a file this copy wrote");
      return;
    }
    Optional<Path> path = placeFor(entry.getName(), segments);
    if (path.isPresent()) {
      Files.createLink(path.get(), existing.get());
    }
  }

  /**
   * Where a non-folder entry goes: its folders exist (made when missing) and are real folders, and
   * a file or link an earlier entry left at its place is removed (tar's own rule: the last entry of
   * a name wins). Empty when refused.
   */
  private Optional<Path> placeFor(String entryName, List<String> segments) throws IOException {
    Optional<Path> folder = folderOf(entryName, segments);
    if (folder.isEmpty()) {
      return Optional.empty();
    }
    Path path = folder.get().resolve(segments.get(segments.size() - 1));
    Optional<BasicFileAttributes> existing = HostEntries.attributes(path);
    if (existing.isPresent()) {
      if (existing.get().isDirectory()) {
        refuse(entryName, "a file or link where the archive already put a folder");
        return Optional.empty();
      }
      Files.delete(path);
    }
    return Optional.of(path);
  }

  /**
   * The folder that receives the entry: every folder on its way exists (made when missing) and is a
   * real folder, never a link (writing through a link could leave the copy). Empty when refused.
   */
  private Optional<Path> folderOf(String entryName, List<String> segments) throws IOException {
    Path folder = staging;
    for (int i = 0; i < segments.size() - 1; i++) {
      folder = folder.resolve(segments.get(i));
      Optional<BasicFileAttributes> attributes = HostEntries.attributes(folder);
      if (attributes.isEmpty()) {
        Files.createDirectory(folder);
      } else if (!attributes.get().isDirectory()) {
        refuse(
            entryName,
            "inside "
                + quoted(String.join("/", segments.subList(0, i + 1)))
                + ", which is a link or a file, not a folder");
        return Optional.empty();
      }
    }
    return Optional.of(folder);
  }

  /** A regular file this copy wrote at {@code segments}, reached through real folders only. */
  private Optional<Path> existingFile(List<String> segments) throws IOException {
    Path path = staging;
    for (int i = 0; i < segments.size(); i++) {
      path = path.resolve(segments.get(i));
      Optional<BasicFileAttributes> attributes = HostEntries.attributes(path);
      boolean last = i == segments.size() - 1;
      if (attributes.isEmpty()
          || (last ? !attributes.get().isRegularFile() : !attributes.get().isDirectory())) {
        return Optional.empty();
      }
    }
    return Optional.of(path);
  }

  /**
   * Why a symbolic link at {@code segments} to {@code target} could lead out of the copy, if it
   * could: an absolute target; one that climbs above the copied entry (even to come back down: the
   * entry may be renamed at its destination); or one with {@code ..} after a name, as that name may
   * be a link, made before or after this one, and {@code ..} then climbs from where it leads. So a
   * link's {@code ..}s climb real folders from its own (see {@link #folderOf}), and its names only
   * go down: where any chain of such links leads stays below the entry, whatever their order. The
   * requested entry itself cannot be a link, as nothing of the copy lies beside it.
   */
  private Optional<String> symlinkOutside(List<String> segments, String target) {
    String link = "a symbolic link to " + quoted(target);
    if (target.isEmpty() || target.startsWith("/") || segments.size() < 2) {
      return Optional.of(link + ", outside the copy");
    }
    int depth = segments.size() - 1; // the link's folder and those above it, up to the entry
    boolean down = false;
    for (String part : target.split("/", -1)) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (!part.equals("..")) {
        down = true;
      } else if (down) {
        return Optional.of(
            link + ", with '..' after a name (a link on its way could leave the copy)");
      } else if (--depth == 0) {
        return Optional.of(link + ", outside the copy");
      }
    }
    return Optional.empty();
  }

  /** An entry name as folder names: the refusal when absolute, with {@code ..}, or elsewhere. */
  private Segments segments(String entryName) {
    if (entryName.startsWith("/")) {
      return Segments.refused("an absolute path");
    }
    List<String> list = new ArrayList<>();
    for (String part : entryName.split("/", -1)) {
      if (part.equals("..")) {
        return Segments.refused("a path with '..'");
      }
      if (!part.isEmpty() && !part.equals(".")) {
        list.add(part);
      }
    }
    if (list.isEmpty() || !list.get(0).equals(name)) {
      return Segments.refused("not under " + quoted(name) + ", the entry asked for");
    }
    try {
      Path resolved = staging;
      for (String part : list) {
        resolved = resolved.resolve(part);
      }
    } catch (InvalidPathException e) {
      return Segments.refused("a name this host cannot write (" + e.getReason() + ")");
    }
    return new Segments(list, null);
  }

  private List<String> segmentsOrEmpty(String entryName) {
    Segments segments = segments(entryName);
    return segments.refusal == null ? segments.list : List.of();
  }

  /** An entry's folder names, or why it is refused. */
  private record Segments(List<String> list, String refusal) {
    static Segments refused(String why) {
      return new Segments(List.of(), why);
    }
  }

  private void refuse(String entryName, String reason) {
    refusedCount++;
    if (refused.size() < GuestTarExtractor.REFUSED_KEPT) {
      refused.add(new RefusedEntry(entryName, reason));
    }
  }

  private void checkNameLength(String text, String what) {
    if (text.getBytes(StandardCharsets.UTF_8).length > limits.maxNameBytes()) {
      throw tooLarge(what + " of more than " + limits.maxNameBytes() + " bytes");
    }
  }

  private static String quoted(String text) {
    return "'" + Printable.of(text) + "'";
  }

  static GuestArchiveException tooLarge(String what) {
    return new GuestArchiveException(
        GuestArchiveException.Kind.TOO_LARGE, "the archive from the guest has " + what);
  }

  private GuestArchiveException notATar(Exception e) {
    return new GuestArchiveException(
        GuestArchiveException.Kind.FAILED,
        "the archive from the guest is not a tar this copy can read: " + e.getMessage(),
        e);
  }

  private GuestArchiveException failed(String entryName, IOException e) {
    String what =
        e instanceof FileAlreadyExistsException
            ? "it exists already"
            : e.getClass().getSimpleName() + ": " + e.getMessage();
    return new GuestArchiveException(
        GuestArchiveException.Kind.FAILED,
        "cannot write " + quoted(entryName) + " of the copy under " + staging + ": " + what,
        e);
  }

  /**
   * The archive as read: its size bounded by {@code maxBytes}, and the bytes read while looking for
   * the next entry bounded by {@link #HEADER_BUDGET}. Never closes the stream under it.
   */
  private final class Metered extends FilterInputStream {
    private final long maxBytes;
    private long total;
    private long headersFrom = -1;
    private GuestArchiveException exceeded;

    Metered(InputStream in, long maxBytes) {
      super(in);
      this.maxBytes = maxBytes;
    }

    void startHeaders() {
      headersFrom = total;
    }

    void endHeaders() {
      headersFrom = -1;
    }

    Optional<GuestArchiveException> exceeded() {
      return Optional.ofNullable(exceeded);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        total += n;
        if (total > maxBytes) {
          exceeded = tooLarge("more than " + maxBytes + " bytes");
        } else if (headersFrom >= 0 && total - headersFrom > HEADER_BUDGET) {
          exceeded = tooLarge("more than " + HEADER_BUDGET + " bytes of headers for one entry");
        }
        if (exceeded != null) {
          throw new IOException(exceeded.getMessage());
        }
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] scratch = new byte[(int) Math.min(n, 8192)];
      int read = read(scratch, 0, scratch.length);
      return Math.max(read, 0);
    }

    @Override
    public void close() {
      // The caller's stream: the caller closes it.
    }
  }
}
