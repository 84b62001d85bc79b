package dev.hearth.imagemgr;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A file to take into an image: a path that the calling process itself may open (the in-process
 * API, and the daemon's own files such as {@code default_kernel}), or a file that a client of the
 * daemon opened with its own rights and passed open (ARCHITECTURE.md, Decisions, "Files from
 * clients"): the daemon reads that one through the descriptor and never opens the client's path.
 */
public sealed interface ImageSource extends AutoCloseable {

  /** What messages call the file: its path, or the name the client gave for it. */
  String label();

  @Override
  void close();

  /** A file this process opens by path. */
  static ImageSource of(Path path) {
    return new AtPath(path);
  }

  /** A file opened by someone else; {@code label} names it in messages only. */
  static ImageSource opened(String label, FileChannel channel) {
    return new Opened(label, channel);
  }

  /** A path this process opens itself. */
  record AtPath(Path path) implements ImageSource {
    public AtPath {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String label() {
      return path.toString();
    }

    @Override
    public void close() {}
  }

  /** An open file; read from where it stands to its size when received. */
  record Opened(String label, FileChannel channel) implements ImageSource {
    public Opened {
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(channel, "channel");
    }

    /**
     * A copy of this file that outlives the descriptor it came through, which lives only as long as
     * the request that passed it: the bytes from the start to the size the file has now, holes
     * kept, in a new file of {@code folder} that is unlinked at once, so that only the returned
     * source's channel reaches it and it goes when that closes. This source is closed either way.
     *
     * @throws InvalidImageFileException when the file cannot be read through its descriptor
     * @throws ImageStagingException when the copy cannot be written
     */
    public Opened detachedCopy(Path folder) {
      try (this) {
        Files.createDirectories(folder);
        Path copy = Files.createTempFile(folder, "hearth-passed-", ".copy");
        try {
          OpenedFileCopy.copy(this, copy);
          return new Opened(label, FileChannel.open(copy, StandardOpenOption.READ));
        } finally {
          Files.deleteIfExists(copy);
        }
      } catch (IOException e) {
        throw new ImageStagingException(
            "cannot make a private copy of " + label + " in " + folder + ": " + e, e);
      }
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException e) {
        // A read-only descriptor: nothing was written that a failed close could lose.
      }
    }
  }
}
