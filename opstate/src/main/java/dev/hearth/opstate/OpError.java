package dev.hearth.opstate;

import java.util.Objects;

/** Why an operation failed: the stage it was in and a reason a person can act on. */
public record OpError(String stage, String message) {
  public OpError {
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(message, "message");
  }
}
