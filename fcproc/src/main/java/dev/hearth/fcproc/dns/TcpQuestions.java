package dev.hearth.fcproc.dns;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The questions of one TCP connection of the VM DNS, each read whole (its 2-byte length, then the
 * message) against deadlines rather than a time-out per read: a client that sends one byte just
 * before each read would time out would otherwise hold the connection forever. A question must
 * start within {@link TcpLimits#idle} and be whole within {@link TcpLimits#question} of its first
 * byte.
 */
final class TcpQuestions {
  private final Socket socket;
  private final InputStream in;
  private final TcpLimits limits;

  TcpQuestions(Socket socket, TcpLimits limits) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.limits = limits;
  }

  /**
   * The next question, or empty when the client closed the connection before starting one.
   *
   * @throws SocketTimeoutException naming the limit that ran out
   * @throws EOFException when the client closed the connection inside a question
   */
  Optional<byte[]> next() throws IOException {
    byte[] one = new byte[1];
    if (read(one, 0, deadline(limits.idle()), "no question within " + show(limits.idle())) < 0) {
      return Optional.empty();
    }
    long deadline = deadline(limits.question());
    String late = "no whole question within " + show(limits.question()) + " of its first byte";
    int high = one[0] & 0xff;
    if (read(one, 0, deadline, late) < 0) {
      throw new EOFException("the client closed the connection inside a question's length");
    }
    byte[] question = new byte[(high << 8) | (one[0] & 0xff)];
    int filled = 0;
    while (filled < question.length) {
      int n = read(question, filled, deadline, late);
      if (n < 0) {
        throw new EOFException(
            "the client closed the connection after "
                + filled
                + " of its question's "
                + question.length
                + " bytes");
      }
      filled += n;
    }
    return Optional.of(question);
  }

  /** Reads into {@code buffer} from {@code offset} what comes before {@code deadline}. */
  private int read(byte[] buffer, int offset, long deadline, String late) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException(late);
    }
    // Rounded up, and never 0, which would be no time-out at all.
    long millis = TimeUnit.NANOSECONDS.toMillis(left + TimeUnit.MILLISECONDS.toNanos(1) - 1);
    socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, millis)));
    try {
      return in.read(buffer, offset, buffer.length - offset);
    } catch (SocketTimeoutException e) {
      throw new SocketTimeoutException(late);
    }
  }

  private static long deadline(Duration limit) {
    return System.nanoTime() + limit.toNanos();
  }

  private static String show(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
