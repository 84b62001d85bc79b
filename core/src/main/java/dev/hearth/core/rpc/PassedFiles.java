package dev.hearth.core.rpc;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Open files a client passed with its request line (SCM_RIGHTS on the Unix socket): the client
 * opened them with its own rights, so the daemon never opens a client's path with its own
 * (ARCHITECTURE.md, Decisions, "Files from clients"). A method refers to them by their index in the
 * order they were sent ({@code "kernel_fd": 0}). Descriptors a method did not {@linkplain #take
 * take} are closed when the request ends.
 *
 * <p>The client side is {@link #connect} and {@link #attach}: a junixsocket channel, used only by
 * the requests that pass files (the JDK's Unix channels cannot send descriptors), so that every
 * other CLI command starts without junixsocket's native library.
 */
public final class PassedFiles {
  private static final Logger log = LoggerFactory.getLogger(PassedFiles.class);

  /** Most descriptors one request may pass; more are closed unread. */
  public static final int MAX_FILES = 4;

  /**
   * The ancillary buffer the daemon reads descriptors into: room for a few more than {@link
   * #MAX_FILES} (the kernel closes what does not fit; {@link #asList} closes what is past the max).
   */
  static final int ANCILLARY_BUFFER_BYTES = 64;

  private final List<FileDescriptor> received;
  private final boolean[] taken;
  private boolean closed;

  PassedFiles(List<FileDescriptor> received) {
    this.received = List.copyOf(received);
    this.taken = new boolean[this.received.size()];
  }

  static PassedFiles none() {
    return new PassedFiles(List.of());
  }

  /** How many descriptors came with the request. */
  public synchronized int count() {
    return received.size();
  }

  /**
   * Takes the descriptor at {@code index} as a file channel for reading; the caller closes it. A
   * descriptor not opened for reading (write-only, {@code O_PATH}) fails on the first read.
   *
   * @throws IllegalArgumentException when no descriptor has that index or it was taken already
   */
  public synchronized FileChannel take(int index) {
    if (closed || index < 0 || index >= received.size() || taken[index]) {
      throw new IllegalArgumentException(
          "no file descriptor number "
              + index
              + " came with the request ("
              + received.size()
              + " came"
              + (closed ? ", and the request has ended" : "")
              + ")");
    }
    taken[index] = true;
    @SuppressWarnings("resource") // the channel owns the stream's descriptor; the caller closes it
    FileChannel channel = new FileInputStream(received.get(index)).getChannel();
    return channel;
  }

  /** Closes every descriptor not taken. */
  synchronized void closeRest() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = 0; i < received.size(); i++) {
      if (!taken[i]) {
        close(received.get(i));
      }
    }
  }

  static void close(FileDescriptor fd) {
    try (FileInputStream stream = new FileInputStream(fd)) {
      log.trace("closing a passed descriptor nobody took");
    } catch (IOException e) {
      log.debug("cannot close a passed file descriptor: {}", e.toString());
    }
  }

  static List<FileDescriptor> asList(FileDescriptor[] fds) {
    return join(List.of(), fds);
  }

  /**
   * {@code carried} (what the event loop read before it handed the connection over) then {@code
   * fds}, at most {@link #MAX_FILES} in all: the rest are closed.
   */
  static List<FileDescriptor> join(List<FileDescriptor> carried, FileDescriptor[] fds) {
    List<FileDescriptor> list = new ArrayList<>(carried);
    if (fds != null) {
      for (FileDescriptor fd : fds) {
        if (list.size() < MAX_FILES) {
          list.add(fd);
        } else {
          close(fd);
        }
      }
    }
    return list;
  }

  // ---- the client's side ----

  /** Connects a channel that can pass descriptors (junixsocket's) to the socket at {@code path}. */
  public static SocketChannel connect(Path path) throws IOException {
    return AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(path));
  }

  /**
   * Makes the next write on {@code channel} (one from {@link #connect}) carry {@code files}, in
   * that order; their numbers are their indexes.
   *
   * @throws IllegalArgumentException when the channel is not one from {@link #connect}, or more
   *     than {@link #MAX_FILES} are given
   */
  public static void attach(SocketChannel channel, List<FileDescriptor> files) throws IOException {
    if (!(channel instanceof AFUNIXSocketChannel unix)) {
      throw new IllegalArgumentException("this connection cannot pass file descriptors");
    }
    if (files.size() > MAX_FILES) {
      throw new IllegalArgumentException(
          "at most " + MAX_FILES + " files can pass with one request, not " + files.size());
    }
    unix.setOutboundFileDescriptors(files.toArray(FileDescriptor[]::new));
  }
}
