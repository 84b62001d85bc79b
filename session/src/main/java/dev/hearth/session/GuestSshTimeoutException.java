package dev.hearth.session;

import java.time.Duration;
import java.util.Locale;

/**
 * A guest did not answer SSH within the wait's timeout. The message names the address, the time
 * waited and the last error seen, which usually tells why (nothing listening, auth refused).
 */
public class GuestSshTimeoutException extends GuestSshException {
  private static final long serialVersionUID = 1L;

  private final String address;
  private final Duration elapsed;
  private final String lastError;

  public GuestSshTimeoutException(String address, Duration elapsed, String lastError) {
    super(
        "no SSH answer from "
            + address
            + " after "
            + String.format(Locale.ROOT, "%.1fs", elapsed.toMillis() / 1000.0)
            + "; last error: "
            + lastError);
    this.address = address;
    this.elapsed = elapsed;
    this.lastError = lastError;
  }

  /** {@code root@ip:port}. */
  public String address() {
    return address;
  }

  public Duration elapsed() {
    return elapsed;
  }

  public String lastError() {
    return lastError;
  }
}
