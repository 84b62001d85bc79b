package dev.hearth.session;

import dev.hearth.core.Durations;
import java.time.Duration;

/** A short call into a guest did not end within its deadline ({@code guest_call_timeout}). */
public class GuestCallTimeoutException extends GuestSshException {
  private static final long serialVersionUID = 1L;

  public GuestCallTimeoutException(String vm, String what, Duration deadline) {
    super(
        what
            + " in VM "
            + vm
            + " did not end within its deadline of "
            + Durations.format(deadline)
            + " (guest_call_timeout); it was ended");
  }
}
