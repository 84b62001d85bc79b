package dev.hearth.daemon;

import java.util.Objects;

/**
 * What {@link Images#build} answers once the name is claimed: the operation's snapshot at that
 * moment and the handle that follows it to the built image.
 */
public record ImageBuilding(Op op, Operation<Image> operation) {
  public ImageBuilding {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(operation, "operation");
  }
}
