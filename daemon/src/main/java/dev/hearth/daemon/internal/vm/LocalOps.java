package dev.hearth.daemon.internal.vm;

import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.Ops;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.opstate.AmbiguousOpIdException;
import dev.hearth.opstate.OpAlreadyFinishedException;
import dev.hearth.opstate.OpNotFoundException;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.OpWatch;
import dev.hearth.opstate.Registry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** The operations of every registry (VM creates, image builds), in-process. */
public final class LocalOps implements Ops {
  /** How long a watch waits for a change before it checks again (or the wire sends a keepalive). */
  static final Duration POLL = Duration.ofSeconds(1);

  private final List<Registry<?>> registries;

  /**
   * @param registries the VM creates' first: an unknown id is reported by its lookup
   */
  public LocalOps(List<Registry<?>> registries) {
    this.registries = List.copyOf(registries);
  }

  @Override
  public List<Op> list() {
    List<OpSnapshot> all = new ArrayList<>();
    registries.forEach(r -> all.addAll(r.list()));
    // As each registry lists: running ones oldest first, then ended ones most recent first.
    all.sort(
        Comparator.comparing(OpSnapshot::finished)
            .thenComparing(s -> s.finished() ? Instant.EPOCH : s.startedAt())
            .thenComparing(s -> s.finishedAt().orElse(Instant.EPOCH), Comparator.reverseOrder()));
    return all.stream().map(ApiJson::op).toList();
  }

  @Override
  public Op show(String op) {
    return ApiJson.op(call(() -> registryOf(op).get(op)));
  }

  @Override
  public Op cancel(String op) {
    return ApiJson.op(call(() -> registryOf(op).cancel(op)));
  }

  @Override
  public Op watch(String op, Consumer<Op> progress) throws InterruptedException {
    return watch(op, progress, () -> {});
  }

  /**
   * {@link #watch(String, Consumer)} that runs {@code idle} each time a {@link #POLL} passes with
   * no change (the wire sends a keepalive there); {@code progress} may throw to stop watching.
   */
  public Op watch(String op, Consumer<Op> progress, Runnable idle) throws InterruptedException {
    Registry<?> registry = call(() -> registryOf(op));
    OpWatch watch = call(() -> registry.watch(op));
    try (watch) {
      while (true) {
        Optional<OpSnapshot> next = watch.next(POLL);
        if (next.isPresent()) {
          if (next.get().finished()) {
            return ApiJson.op(next.get());
          }
          progress.accept(ApiJson.op(next.get()));
        } else if (watch.done()) {
          return ApiJson.op(registry.get(watch.opId()));
        } else {
          idle.run();
        }
      }
    }
  }

  /**
   * The registry holding the op an id or prefix names; the first registry when none does (its
   * lookup then reports not found), and an invalid error when ops of several registries match.
   */
  private Registry<?> registryOf(String idOrPrefix) {
    List<Registry<?>> holding = new ArrayList<>();
    List<OpSnapshot> candidates = new ArrayList<>();
    for (Registry<?> r : registries) {
      List<OpSnapshot> found = r.matching(idOrPrefix);
      if (!found.isEmpty()) {
        holding.add(r);
        candidates.addAll(found);
      }
    }
    if (holding.size() > 1) {
      throw HearthException.invalid(
          "id prefix '"
              + idOrPrefix
              + "' matches "
              + candidates.size()
              + " operations: "
              + candidates.stream().map(OpSnapshot::describe).collect(Collectors.joining(", "))
              + "; give more of the id");
    }
    return holding.isEmpty() ? registries.get(0) : holding.get(0);
  }

  private interface OpCall<T> {
    T call();
  }

  private static <T> T call(OpCall<T> call) {
    try {
      return call.call();
    } catch (OpNotFoundException e) {
      throw HearthException.notFound(e.getMessage());
    } catch (AmbiguousOpIdException e) {
      throw HearthException.invalid(e.getMessage());
    } catch (OpAlreadyFinishedException e) {
      throw HearthException.preconditionFailed(e.getMessage());
    }
  }
}
