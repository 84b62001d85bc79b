package dev.hearth.daemon;

import java.util.Objects;

/** Why an operation failed: the stage it was in and the reason. */
public record OpError(String stage, String message) {
  public OpError {
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(message, "message");
  }
}
