package dev.hearth.daemon.internal.api;

import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.internal.imagebuild.ClientFiles;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Files a client opens with its own rights to pass to the daemon with a request (ARCHITECTURE.md,
 * Decisions, "Files from clients"): the daemon reads them through the descriptors and never opens
 * the client's paths as root. Closed (on the client's side) once the request has been answered.
 */
final class ClientOpenedFiles implements AutoCloseable {
  private final List<FileInputStream> opened = new ArrayList<>();

  /**
   * Opens {@code path} for reading as this process; its descriptor comes next in {@link
   * #descriptors()}.
   *
   * @param field the param the file is for, for messages
   * @throws HearthException invalid naming the field, the file and why it cannot be opened
   */
  void open(String field, Path path) {
    if (Files.isDirectory(path)) {
      throw HearthException.invalid(field + ": " + path + " is a folder, not a file");
    }
    try {
      opened.add(new FileInputStream(path.toFile()));
    } catch (IOException e) {
      String reason =
          !Files.exists(path)
              ? "no such file (or a folder on the way you may not enter)"
              : !Files.isReadable(path) ? "permission denied" : ClientFiles.ioReason(e);
      throw HearthException.invalid(
          field
              + ": cannot open "
              + path
              + ": "
              + reason
              + " (hearth opens the files you give with your own rights, not the daemon's)");
    }
  }

  /** The descriptors in the order opened. */
  List<FileDescriptor> descriptors() {
    List<FileDescriptor> fds = new ArrayList<>();
    for (FileInputStream in : opened) {
      try {
        fds.add(in.getFD());
      } catch (IOException e) {
        throw new IllegalStateException("an open stream has no descriptor", e);
      }
    }
    return fds;
  }

  @Override
  public void close() {
    for (FileInputStream in : opened) {
      try {
        in.close();
      } catch (IOException e) {
        // Opened for reading only: nothing to lose.
      }
    }
    opened.clear();
  }
}
