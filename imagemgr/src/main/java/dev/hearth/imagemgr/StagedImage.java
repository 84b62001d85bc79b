package dev.hearth.imagemgr;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.FileSync;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import dev.hearth.core.TreeDeleter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One image being assembled in its private staging folder. Files are validated, then copied in (or
 * written there by a build and {@linkplain #adopt adopted}); {@link #publish} checksums them,
 * writes the manifest and renames the folder into place. {@link #close} aborts unless published, so
 * try-with-resources leaves nothing behind on failure.
 */
public final class StagedImage implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StagedImage.class);
  private static final Duration COPY_TIMEOUT = Duration.ofHours(1);
  static final String WORK_DIR = "work";

  private enum State {
    OPEN,
    PUBLISHED,
    ABORTED
  }

  private final String name;
  private final Path folder;
  private final Path target;
  private final Runner runner;
  private final Clock clock;
  private final FileSync fileSync;
  private final DirectoryRenamer renamer;
  private final Posix posix;
  private final Set<ImageFile> files = EnumSet.noneOf(ImageFile.class);
  private Optional<List<ImageManifest.Entry>> checksums = Optional.empty();
  private Optional<String> bootArgs = Optional.empty();
  private State state = State.OPEN;

  StagedImage(
      String name,
      Path folder,
      Path target,
      Runner runner,
      Clock clock,
      FileSync fileSync,
      DirectoryRenamer renamer,
      Posix posix) {
    this.name = name;
    this.posix = posix;
    this.folder = folder;
    this.target = target;
    this.runner = runner;
    this.clock = clock;
    this.fileSync = fileSync;
    this.renamer = renamer;
  }

  public String name() {
    return name;
  }

  /** The private staging folder; it becomes {@code images/<name>} on publish. */
  public Path folder() {
    return folder;
  }

  /** Where the file of a role lives while staged. */
  public Path pathOf(ImageFile role) {
    return folder.resolve(role.fileName());
  }

  /**
   * A scratch folder inside the staging folder for a build's tree and intermediate files; created
   * on first call, deleted by {@link #publish} before the rename (it never becomes part of the
   * image) and with the rest on abort.
   */
  public synchronized Path workDir() {
    requireOpen();
    Path work = folder.resolve(WORK_DIR);
    try {
      Files.createDirectories(work);
    } catch (IOException e) {
      throw new ImageStagingException("cannot create " + work + ": " + e, e);
    }
    return work;
  }

  /**
   * A path this process may read that holds the source's bytes: an {@link ImageSource.AtPath}'s own
   * path, or for an {@link ImageSource.Opened} a copy in the work folder named {@code name}, read
   * through the descriptor (never by the client's path).
   *
   * @throws InvalidImageFileException naming the source when it cannot be read (not a regular file,
   *     not open for reading)
   */
  public synchronized Path receive(ImageSource source, String name) {
    requireOpen();
    if (source instanceof ImageSource.Opened opened) {
      Path local = workDir().resolve(name);
      OpenedFileCopy.copy(opened, local);
      return local;
    }
    return ((ImageSource.AtPath) source).path();
  }

  /**
   * The same failure naming the source rather than the local copy that {@link #receive} made; any
   * other exception is returned as it is.
   */
  public static RuntimeException relabel(RuntimeException e, ImageSource source, Path local) {
    if (!(source instanceof ImageSource.Opened)
        || !(e instanceof InvalidImageFileException invalid)
        || !local.equals(invalid.file())) {
      return e;
    }
    Path named = Path.of(source.label());
    if (e instanceof CompressedKernelException) {
      return new CompressedKernelException(named);
    }
    return new InvalidImageFileException(named, invalid.problem());
  }

  /** Validates the kernel, then copies it in as {@code vmlinux}. */
  public synchronized KernelInfo copyKernel(ImageSource source) {
    Path local = receive(source, "kernel.received");
    try {
      return copyKernel(local);
    } catch (RuntimeException e) {
      throw relabel(e, source, local);
    }
  }

  /** Validates the kernel, then copies it in as {@code vmlinux}. */
  public synchronized KernelInfo copyKernel(Path source) {
    requireOpen();
    checksums = Optional.empty();
    KernelValidator.validate(source);
    copyStreamed(source, pathOf(ImageFile.KERNEL));
    files.add(ImageFile.KERNEL);
    return KernelValidator.validate(pathOf(ImageFile.KERNEL));
  }

  /**
   * Validates the rootfs, then copies it in as {@code rootfs.ext4} with {@code cp --sparse=always}
   * (holes stay holes, and runs of zeros become holes, so a mostly empty ext4 costs little disk).
   *
   * @throws dev.hearth.core.CommandException when cp fails
   */
  public synchronized RootfsInfo copyRootfs(Path source) throws InterruptedException {
    requireOpen();
    checksums = Optional.empty();
    RootfsValidator.validate(source);
    Path staged = pathOf(ImageFile.ROOTFS);
    runner.check(
        Command.builder("cp")
            .args("--reflink=auto", "--sparse=always", "--", source.toString(), staged.toString())
            .timeout(COPY_TIMEOUT)
            .build());
    files.add(ImageFile.ROOTFS);
    return RootfsValidator.validate(staged);
  }

  /**
   * Takes the boot files of a published image: its kernel, its initrd when it has one, and the boot
   * args of its manifest (a promoted VM keeps booting as its image did).
   */
  public synchronized void copyBootFrom(Path imageDir) {
    copyKernel(imageDir.resolve(ImageFile.KERNEL.fileName()));
    Path initrd = imageDir.resolve(ImageFile.INITRD.fileName());
    if (Files.isRegularFile(initrd)) {
      copyInitrd(initrd);
    }
    ImageCatalog.manifest(imageDir).flatMap(ImageManifest::bootArgs).ifPresent(this::bootArgs);
  }

  /**
   * Copies a VM's root disk in as {@code rootfs.ext4} (the copy provisioner's file, or the
   * dm-snapshot device: a block device, which {@link #copyRootfs} refuses as a source since users
   * give regular files), sparse, then validates the copy as the rootfs.
   *
   * @throws dev.hearth.core.CommandException when cp fails
   */
  public synchronized RootfsInfo copyDisk(Path disk) throws InterruptedException {
    requireOpen();
    checksums = Optional.empty();
    Path staged = pathOf(ImageFile.ROOTFS);
    runner.check(
        Command.builder("cp")
            .args("--reflink=auto", "--sparse=always", "--", disk.toString(), staged.toString())
            .timeout(COPY_TIMEOUT)
            .build());
    RootfsInfo info = RootfsValidator.validate(staged);
    files.add(ImageFile.ROOTFS);
    return info;
  }

  /**
   * The rootfs from a source: a path is validated and copied by {@link #copyRootfs(Path)}; an open
   * file is read straight into {@code rootfs.ext4} (runs of zero blocks left as holes), then
   * validated.
   */
  public synchronized RootfsInfo copyRootfs(ImageSource source) throws InterruptedException {
    if (source instanceof ImageSource.AtPath at) {
      return copyRootfs(at.path());
    }
    requireOpen();
    Path staged = pathOf(ImageFile.ROOTFS);
    OpenedFileCopy.copy((ImageSource.Opened) source, staged);
    try {
      RootfsInfo info = RootfsValidator.validate(staged);
      files.add(ImageFile.ROOTFS);
      return info;
    } catch (RuntimeException e) {
      throw relabel(e, source, staged);
    }
  }

  /** Validates the initrd, then copies it in as {@code initrd}. */
  public synchronized InitrdInfo copyInitrd(ImageSource source) {
    Path local = receive(source, "initrd.received");
    try {
      return copyInitrd(local);
    } catch (RuntimeException e) {
      throw relabel(e, source, local);
    }
  }

  /** Validates the initrd, then copies it in as {@code initrd}. */
  public synchronized InitrdInfo copyInitrd(Path source) {
    requireOpen();
    checksums = Optional.empty();
    InitrdValidator.validate(source);
    copyStreamed(source, pathOf(ImageFile.INITRD));
    files.add(ImageFile.INITRD);
    return InitrdValidator.validate(pathOf(ImageFile.INITRD));
  }

  /**
   * Takes in a file already written at {@link #pathOf} (by a build script, or by {@link
   * VmlinuxExtractor}), after validating it for its role.
   *
   * @throws InvalidImageFileException when it is missing or not valid for the role
   */
  public synchronized void adopt(ImageFile role) {
    requireOpen();
    checksums = Optional.empty();
    Path file = pathOf(role);
    switch (role) {
      case KERNEL:
        KernelValidator.validate(file);
        break;
      case ROOTFS:
        RootfsValidator.validate(file);
        break;
      case INITRD:
        InitrdValidator.validate(file);
        break;
      default:
        throw new IllegalArgumentException("unknown role " + role);
    }
    files.add(role);
  }

  /** The kernel command line recorded in the manifest (the VM's own arguments come on top). */
  public synchronized void bootArgs(String args) {
    requireOpen();
    this.bootArgs = Optional.of(args);
  }

  /**
   * Computes the staged files' sha256 and size now, so that {@link #publish} (which the caller runs
   * under its lock) only writes the manifest and renames. The files are in this private folder, so
   * nothing else changes them meanwhile; staging another file afterwards drops these checksums.
   * Hashing a large sparse file takes a while: its holes are not read, but hashed as zeros.
   *
   * @throws InterruptedException when interrupted while hashing (the staging stays; abort it)
   * @throws ImageStagingException when a file is missing or unexpected, or on an I/O error
   */
  public synchronized void checksum() throws InterruptedException {
    requireOpen();
    requireKernelAndRootfs();
    deleteTree(folder.resolve(WORK_DIR));
    try {
      checksums = Optional.of(computeChecksums());
    } catch (InterruptedIOException e) {
      Thread.interrupted();
      InterruptedException interrupted = new InterruptedException(e.getMessage());
      interrupted.initCause(e);
      throw interrupted;
    } catch (IOException e) {
      throw new ImageStagingException("cannot checksum image '" + name + "': " + e, e);
    }
  }

  private List<ImageManifest.Entry> computeChecksums() throws IOException {
    requireOnlyStagedFiles();
    List<ImageManifest.Entry> entries = new ArrayList<>();
    for (ImageFile role : files) {
      Path file = pathOf(role);
      FileDigest digest = FileDigest.of(file, posix);
      fileSync.file(file);
      entries.add(new ImageManifest.Entry(role, digest.sha256(), digest.size()));
    }
    return entries;
  }

  private void requireKernelAndRootfs() {
    for (ImageFile required : List.of(ImageFile.KERNEL, ImageFile.ROOTFS)) {
      if (!files.contains(required)) {
        throw new ImageStagingException(
            "image '" + name + "' has no " + required.fileName() + " staged: cannot publish");
      }
    }
  }

  /**
   * Publishes the image: deletes the work folder, checks that the folder holds exactly the staged
   * files (a kernel and a rootfs at least), computes their sha256 and size unless {@link #checksum}
   * has (syncing each file), writes and syncs the manifest, syncs the folder, then renames the
   * staging folder to {@code images/<name>} in one {@code rename(2)} and syncs both parent folders.
   * A crash before the rename leaves only a staging folder (removed by {@link
   * ImageStaging#cleanupStale}); after it, the complete image.
   *
   * @throws ImageConflictException when an image of that name exists (the staging stays; abort it)
   * @throws ImageStagingException when a file is missing or unexpected, or on an I/O error
   */
  public synchronized ImageManifest publish() {
    requireOpen();
    requireKernelAndRootfs();
    deleteTree(folder.resolve(WORK_DIR));
    try {
      requireOnlyStagedFiles();
      List<ImageManifest.Entry> entries =
          checksums.isPresent() ? checksums.get() : computeChecksums();
      ImageManifest manifest = new ImageManifest(name, entries, clock.now(), bootArgs);
      Path manifestFile = folder.resolve(ImageManifest.FILE_NAME);
      Files.writeString(manifestFile, manifest.toJson(), StandardCharsets.UTF_8);
      fileSync.file(manifestFile);
      fileSync.directory(folder);
      fileSync.createDirectories(target.getParent());
      if (Files.exists(target)) {
        throw new ImageConflictException(name);
      }
      rename();
      state = State.PUBLISHED;
      // The rename is the commit: durable once both folders it changed are synced.
      fileSync.directory(target.getParent());
      fileSync.directory(folder.getParent());
      log.info("published image {} at {}", name, target);
      return manifest;
    } catch (AtomicMoveNotSupportedException e) {
      throw new ImageStagingException(
          "cannot publish image '"
              + name
              + "': "
              + folder
              + " and "
              + target
              + " are on different filesystems, so no atomic rename joins them",
          e);
    } catch (IOException e) {
      throw new ImageStagingException("cannot publish image '" + name + "': " + e, e);
    }
  }

  /** Removes the staging folder and everything in it. Does nothing once published or aborted. */
  public synchronized void abort() {
    if (state != State.OPEN) {
      return;
    }
    deleteTree(folder);
    state = State.ABORTED;
    log.debug("aborted staging of image {}", name);
  }

  /**
   * Deletes a staging tree through core's {@link TreeDeleter} (which refuses a tree with a mount
   * inside, such as a build's chroot left mounted).
   *
   * @throws ImageStagingException naming the tree and why
   */
  static void deleteTree(Path root) {
    try {
      TreeDeleter.delete(root);
    } catch (IOException e) {
      throw new ImageStagingException(e.getMessage(), e);
    }
  }

  /** Aborts unless published. */
  @Override
  public void close() {
    abort();
  }

  /** The publishing rename; one that fails because the name got taken meanwhile is a conflict. */
  private void rename() throws IOException {
    try {
      renamer.rename(folder, target);
    } catch (AtomicMoveNotSupportedException e) {
      throw e;
    } catch (IOException e) {
      // rename(2) onto a non-empty folder fails with ENOTEMPTY, which the JDK reports as a plain
      // FileSystemException: the target's existence is what tells a conflict.
      if (Files.exists(target)) {
        throw new ImageConflictException(name);
      }
      throw e;
    }
  }

  private void requireOnlyStagedFiles() throws IOException {
    List<String> unexpected = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
      for (Path entry : entries) {
        String fileName = entry.getFileName().toString();
        if (files.stream().noneMatch(f -> f.fileName().equals(fileName))) {
          unexpected.add(fileName);
        }
      }
    }
    if (!unexpected.isEmpty()) {
      unexpected.sort(null);
      throw new ImageStagingException(
          "image '" + name + "': unexpected files in " + folder + ": " + unexpected);
    }
  }

  private void copyStreamed(Path source, Path staged) {
    try {
      Files.copy(source, staged, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new ImageStagingException("cannot copy " + source + " to " + staged + ": " + e, e);
    }
  }

  private void requireOpen() {
    if (state != State.OPEN) {
      throw new IllegalStateException(
          "image '" + name + "' is already " + state.name().toLowerCase(Locale.ROOT));
    }
  }
}
