package dev.hearth.session;

import dev.hearth.core.Printable;
import dev.hearth.core.TreeDeleter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Unpacks the tar a guest sent for a copy out of it, on the host, as the calling user, without
 * trusting it: the archive is parsed here (Apache Commons Compress), never handed to the host's
 * tar. The requested entry and what lies under it are written into a fresh private folder (0700)
 * beside the destination, then moved into place with {@code rename(2)}; the folder is removed in
 * every case.
 *
 * <p>Only the requested entry {@code name} and paths under it are written. Refused, and reported as
 * {@link RefusedEntry}s: absolute names, names with {@code ..}, other top-level names, symbolic
 * links that are absolute, climb above the entry or have {@code ..} after a name, hard links to
 * anything but a file this copy wrote, entries inside a link, devices, FIFOs, other entry types,
 * setuid or setgid files, and names this host cannot write. Setgid and sticky bits of folders are
 * dropped; modes are kept otherwise, times too, and everything belongs to the calling user (never
 * the archive's owner). Past an {@link ArchiveLimits} bound, or one on what is kept across entries
 * ({@code GuestTarInput}, {@code StagedFolders}), the copy fails.
 *
 * <p>Where the entry goes follows docker cp's rules: into {@code destination} when that is a
 * folder, else it becomes {@code destination} (whose folder must exist); a file replaces a file or
 * link, a folder is merged into a folder, and a folder never replaces a file (nor a file a folder).
 */
public final class GuestTarExtractor {
  /** Most refused entries kept by name in an {@link Unpacked}; the count covers the rest. */
  public static final int REFUSED_KEPT = 100;

  /** Most bytes accepted after the archive's end (tar's padding), before the copy fails. */
  static final int TRAILING_MAX = 1024 * 1024;

  /** Why a copy failed when its unpacking stopped without saying why (no memory left for it). */
  private static final String STOPPED = "unpacking the copy stopped before the archive's end";

  private GuestTarExtractor() {}

  /**
   * Reads {@code archive} (not closed) and places its entry {@code name} at {@code destination}.
   *
   * @throws IllegalArgumentException when {@code name} is not one file name
   * @throws GuestArchiveException when the destination's folder is missing, past a bound, when the
   *     archive holds no entry {@code name}, or when the host's filesystem fails
   */
  public static Unpacked unpack(
      InputStream archive, Path destination, String name, ArchiveLimits limits) {
    Placement placement = Placement.prepare(destination, name);
    Unpacked unpacked;
    try {
      TarEntries entries = new TarEntries(placement.staging, name, limits);
      entries.readAll(archive);
      unpacked = placement.place(entries);
    } catch (RuntimeException | Error e) {
      placement.removeStagingAfter(e);
      throw e;
    }
    placement.removeStaging();
    return unpacked;
  }

  /**
   * Prepares a copy whose archive is written to {@link Receiver#archive()} (from any thread) and
   * unpacked meanwhile on a thread of its own; {@link Receiver#finish()} places it. The destination
   * is checked, and the private folder made, at once.
   *
   * @throws IllegalArgumentException when {@code name} is not one file name
   * @throws GuestArchiveException when the destination's folder is missing or cannot receive it
   */
  public static Receiver receive(Path destination, String name, ArchiveLimits limits) {
    return receive(destination, name, limits, UnaryOperator.identity());
  }

  /**
   * As {@link #receive(Path, String, ArchiveLimits)}, the unpacking reading through {@code tap}.
   */
  static Receiver receive(
      Path destination, String name, ArchiveLimits limits, UnaryOperator<InputStream> tap) {
    return new Receiver(Placement.prepare(destination, name), name, limits, tap);
  }

  /** A copy being received; close it in every case (it removes the private folder). */
  public static final class Receiver implements AutoCloseable {
    private final Placement placement;
    private final ArchivePipe pipe = new ArchivePipe();
    private final TarEntries entries;
    private final InputStream source;
    private final Thread reader;
    private volatile GuestArchiveException failure;
    private volatile boolean complete;
    private boolean done;

    private Receiver(
        Placement placement, String name, ArchiveLimits limits, UnaryOperator<InputStream> tap) {
      this.placement = placement;
      this.entries = new TarEntries(placement.staging, name, limits);
      this.source = tap.apply(pipe.source);
      this.reader = new Thread(this::read, "hearth-copy-out");
      reader.setDaemon(true);
      reader.start();
    }

    /** Where the archive goes; writes fail once the unpacking has failed. */
    public OutputStream archive() {
      return pipe.sink;
    }

    /**
     * The unpacking's own failure, when it stopped before the archive's end (a bound passed, not a
     * tar, the host's filesystem): the cause of a failed write to {@link #archive()}.
     */
    public Optional<GuestArchiveException> failure() {
      return Optional.ofNullable(failure);
    }

    /**
     * Ends the archive, waits for the unpacking and places the entry.
     *
     * @throws GuestArchiveException as {@link GuestTarExtractor#unpack}
     */
    public Unpacked finish() throws InterruptedException {
      try {
        pipe.sink.close();
      } catch (IOException e) {
        // The reader has gone: its failure says why.
      }
      reader.join();
      done = true;
      Unpacked unpacked;
      try {
        if (!complete) {
          throw failure().orElseGet(Receiver::stopped);
        }
        unpacked = placement.place(entries);
      } catch (RuntimeException | Error e) {
        placement.removeStagingAfter(e);
        throw e;
      }
      placement.removeStaging();
      return unpacked;
    }

    /** Stops the unpacking if it still runs and removes the private folder. */
    @Override
    public void close() {
      if (done) {
        return;
      }
      done = true;
      pipe.readerGone("the copy was abandoned");
      reader.interrupt();
      boolean interrupted = false;
      while (reader.isAlive()) {
        try {
          reader.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      placement.removeStaging();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }

    private void read() {
      try {
        readArchive();
        complete = true;
      } catch (GuestArchiveException e) {
        failure = e;
      } catch (IOException | RuntimeException | Error e) {
        failure =
            new GuestArchiveException(
                GuestArchiveException.Kind.FAILED, "unpacking the copy failed: " + e, e);
        if (e instanceof Error error) {
          throw error;
        }
      } finally {
        // However the reading ends (an Error too), writers must fail rather than wait for it.
        if (!complete) {
          GuestArchiveException why = failure;
          pipe.readerGone(why == null ? STOPPED : why.getMessage());
        }
      }
    }

    private void readArchive() throws IOException {
      entries.readAll(source);
      long trailing = 0;
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = source.read(buffer)) >= 0) {
        trailing += n;
        if (trailing > TRAILING_MAX) {
          throw new GuestArchiveException(
              GuestArchiveException.Kind.FAILED,
              "the archive from the guest goes on for more than "
                  + TRAILING_MAX
                  + " bytes past its end");
        }
      }
    }

    private static GuestArchiveException stopped() {
      return new GuestArchiveException(GuestArchiveException.Kind.FAILED, STOPPED);
    }
  }

  /** Where the entry goes, and the private folder beside it that receives it first. */
  private static final class Placement {
    private final Path target;
    private final Path staging;
    private final String name;

    private Placement(Path target, Path staging, String name) {
      this.target = target;
      this.staging = staging;
      this.name = name;
    }

    static Placement prepare(Path destination, String name) {
      if (name.isEmpty()
          || name.equals(".")
          || name.equals("..")
          || name.contains("/")
          || name.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "the entry name must be one file name (no '/', not '.' or '..'); got '"
                + Printable.of(name)
                + "'");
      }
      Path absolute = destination.toAbsolutePath().normalize();
      Path target;
      Path folder;
      if (Files.isDirectory(absolute)) {
        folder = absolute;
        target = absolute.resolve(name);
      } else {
        folder = absolute.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
          throw new GuestArchiveException(
              GuestArchiveException.Kind.NOT_FOUND,
              "no such folder: " + (folder == null ? absolute : folder));
        }
        target = absolute;
      }
      try {
        Path staging =
            Files.createTempDirectory(
                folder,
                ".hearth-cp.",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return new Placement(target, staging, name);
      } catch (IOException e) {
        throw new GuestArchiveException(
            GuestArchiveException.Kind.FAILED,
            "cannot make a private folder in " + folder + " for the copy: " + e,
            e);
      }
    }

    /** Moves the unpacked entry into place, then gives its folders their modes and times. */
    Unpacked place(TarEntries entries) {
      Path unpacked = staging.resolve(name);
      if (!Files.exists(unpacked, LinkOption.NOFOLLOW_LINKS)) {
        String why =
            entries
                .refusedRoot()
                .map(r -> ": it was refused (" + r.reason() + ")")
                .orElse(": the archive held no entry of that name");
        throw new GuestArchiveException(
            GuestArchiveException.Kind.FAILED,
            "nothing was copied to " + target + " from '" + Printable.of(name) + "'" + why);
      }
      try {
        move(unpacked, target);
        entries.folders().apply(target);
      } catch (IOException e) {
        throw new GuestArchiveException(
            GuestArchiveException.Kind.FAILED,
            "cannot move the copy into place at " + target + ": " + e,
            e);
      }
      return new Unpacked(
          target, entries.archiveBytes(), entries.refused(), entries.refusedCount());
    }

    /** {@code from} to {@code to} by rename; folders onto folders are merged entry by entry. */
    private static void move(Path from, Path to) throws IOException {
      boolean fromFolder = Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS);
      BasicFileAttributes existing;
      try {
        existing = Files.readAttributes(to, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        return;
      }
      if (fromFolder && existing.isDirectory()) {
        try (Stream<Path> children = Files.list(from)) {
          for (Path child : children.toList()) {
            move(child, to.resolve(child.getFileName()));
          }
        }
      } else if (fromFolder) {
        throw new GuestArchiveException(
            GuestArchiveException.Kind.WRONG_KIND,
            "cannot overwrite the file " + to + " with a folder");
      } else if (existing.isDirectory()) {
        throw new GuestArchiveException(
            GuestArchiveException.Kind.WRONG_KIND,
            "cannot overwrite the folder " + to + " with a file");
      } else {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    }

    /** Removes the private folder after {@code failure}, to which a failure to do so is added. */
    void removeStagingAfter(Throwable failure) {
      try {
        removeStaging();
      } catch (GuestArchiveException e) {
        failure.addSuppressed(e);
      }
    }

    void removeStaging() {
      try {
        TreeDeleter.delete(staging);
      } catch (IOException e) {
        throw new GuestArchiveException(
            GuestArchiveException.Kind.FAILED,
            "cannot remove the copy's private folder " + staging + ": " + e.getMessage(),
            e);
      }
    }
  }
}
