package dev.hearth.daemon.internal.api;

import dev.hearth.daemon.Op;
import dev.hearth.daemon.Operation;
import dev.hearth.daemon.Ops;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An {@link Operation} on an {@link Ops}: the in-process and the remote hearth share it, so that a
 * handle behaves the same on both.
 */
public final class OpHandle<T> implements Operation<T> {
  private final String id;
  private final Ops ops;
  private final Function<Op, T> result;

  /**
   * @param result reads what a succeeded operation made, from its final snapshot
   */
  public OpHandle(String id, Ops ops, Function<Op, T> result) {
    this.id = id;
    this.ops = ops;
    this.result = result;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Op snapshot() {
    return ops.show(id);
  }

  @Override
  public Op watch(Consumer<Op> progress) throws InterruptedException {
    return ops.watch(id, progress);
  }

  @Override
  public T await() throws InterruptedException {
    Op last = ops.watch(id, op -> {});
    if (last.failure().isPresent()) {
      throw last.failure().get();
    }
    return result.apply(last);
  }

  @Override
  public Op cancel() {
    return ops.cancel(id);
  }

  @Override
  public String toString() {
    return "operation " + id;
  }
}
