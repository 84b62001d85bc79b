package dev.hearth.opstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Schema;
import dev.hearth.core.Store;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration RETENTION = Duration.ofHours(24);

  @TempDir Path dir;

  private final FakeClock clock = new FakeClock(Instant.parse("2026-03-01T10:00:00Z"));
  private Store store;
  private final CountDownLatch release = new CountDownLatch(1);

  @BeforeEach
  void openStore() {
    store = Store.open(dir.resolve("hearth.db"));
  }

  @AfterEach
  void closeStore() {
    release.countDown();
    store.close();
  }

  private Registry<CreateOp> registry(Store s) {
    return new Registry<>(clock, RETENTION, Set.of(CreateOp.KIND), new OpStore(s));
  }

  @Test
  void storeHasTheOperationsTable() {
    assertThat(store.schemaVersion()).isEqualTo(Schema.latestVersion());
    int tables =
        store.read(
            c -> {
              try (var rs =
                  c.createStatement()
                      .executeQuery(
                          "SELECT count(*) FROM sqlite_master WHERE name = 'operations'")) {
                return rs.getInt(1);
              }
            });
    assertThat(tables).isEqualTo(1);
  }

  @Test
  void finishedOpsSurviveARestartWithAllTheirFields() throws Exception {
    Registry<CreateOp> before = registry(store);
    CreateOp ok = new CreateOp("demo", 2);
    OpSnapshot okLast =
        before.run(
            ok,
            o -> {
              o.stage("boot", 70);
              o.log("spawned firecracker\nconfigured");
              clock.advance(Duration.ofSeconds(5));
              return "vm-123";
            });
    CreateOp bad = new CreateOp("broken", 2);
    OpSnapshot badLast =
        before.run(
            bad,
            o -> {
              o.stage("rootfs");
              clock.advance(Duration.ofSeconds(1));
              throw new IOException("losetup failed: exit 1");
            });

    Registry<CreateOp> after = registry(store);
    OpSnapshot okStored = after.get(ok.id().substring(0, 6));
    assertThat(okStored.id()).isEqualTo(ok.id());
    assertThat(okStored.kind()).isEqualTo("vm.create");
    assertThat(okStored.target()).isEqualTo("demo");
    assertThat(okStored.state()).isEqualTo(OpState.SUCCEEDED);
    assertThat(okStored.stage()).isEqualTo("boot");
    assertThat(okStored.percent()).isEqualTo(OptionalInt.of(70));
    assertThat(okStored.log()).containsExactly("spawned firecracker", "configured");
    assertThat(okStored.result()).contains("vm-123");
    assertThat(okStored.error()).isEmpty();
    assertThat(okStored.startedAt()).isEqualTo(okLast.startedAt());
    assertThat(okStored.finishedAt()).isEqualTo(okLast.finishedAt());

    OpSnapshot badStored = after.get(bad.id());
    assertThat(badStored.state()).isEqualTo(OpState.FAILED);
    assertThat(badStored.percent()).isEmpty();
    assertThat(badStored.error()).isEqualTo(badLast.error());
    assertThat(badStored.error()).contains(new OpError("rootfs", "losetup failed: exit 1"));
    assertThat(badStored.finishedAt()).isEqualTo(badLast.finishedAt());

    assertThat(after.list()).extracting(OpSnapshot::id).containsExactly(bad.id(), ok.id());
    assertThat(after.awaitFinish(ok.id(), WAIT)).isEqualTo(okStored);
    assertThatThrownBy(() -> after.cancel(ok.id())).isInstanceOf(OpAlreadyFinishedException.class);
    assertThat(after.find(ok.id())).isEmpty();
  }

  @Test
  void awaitFinishReturnsOnlyOnceTheEndIsStored() throws Exception {
    Registry<CreateOp> registry = registry(store);
    CreateOp op = new CreateOp("demo", 1);
    registry.start(op, o -> "vm-9");
    registry.awaitFinish(op.id(), WAIT);
    assertThat(registry(store).get(op.id()).result()).contains("vm-9");
  }

  @Test
  void opsLeftRunningByACrashAreMarkedInterruptedOnRestart() throws Exception {
    Registry<CreateOp> crashed = registry(store);
    CreateOp op = new CreateOp("demo", 1);
    CountDownLatch entered = new CountDownLatch(1);
    crashed.start(
        op,
        o -> {
          o.stage("wait-ssh");
          entered.countDown();
          Await.latch(release, "the test to release the work");
          return null;
        });
    Await.latch(entered, "the op's work to start");
    try (Store reopened = Store.open(dir.resolve("hearth.db"))) {
      clock.advance(Duration.ofMinutes(1));
      List<OpSnapshot> marked = new OpStore(reopened).markInterrupted(clock.now());
      assertThat(marked).extracting(OpSnapshot::id).containsExactly(op.id());

      Registry<CreateOp> restarted = registry(reopened);
      OpSnapshot s = restarted.get(op.id());
      assertThat(s.state()).isEqualTo(OpState.FAILED);
      assertThat(s.error()).contains(new OpError("wait-ssh", OpStore.INTERRUPTED_REASON));
      assertThat(s.finishedAt()).contains(clock.now());
      assertThat(new OpStore(reopened).markInterrupted(clock.now())).isEmpty();

      // The old process's late end does not undo what the restart recorded.
      release.countDown();
      crashed.awaitFinish(op.id(), WAIT);
      assertThat(registry(reopened).get(op.id()).state()).isEqualTo(OpState.FAILED);
    }
  }

  @Test
  void registriesReadOnlyTheirOwnKindsFromASharedStore() {
    Registry<CreateOp> creates = registry(store);
    Registry<AsyncOp> builds =
        new Registry<>(clock, RETENTION, Set.of("image.build"), new OpStore(store));
    CreateOp create = new CreateOp("demo", 1);
    creates.run(create, o -> null);
    AsyncOp build = new AsyncOp("image.build", "ubuntu");
    builds.run(build, o -> null);

    Registry<AsyncOp> buildsAfter =
        new Registry<>(clock, RETENTION, Set.of("image.build"), new OpStore(store));
    assertThat(buildsAfter.list()).extracting(OpSnapshot::id).containsExactly(build.id());
    assertThatThrownBy(() -> buildsAfter.get(create.id())).isInstanceOf(OpNotFoundException.class);
    assertThat(registry(store).list()).extracting(OpSnapshot::id).containsExactly(create.id());
  }

  @Test
  void pruneRemovesExpiredOpsFromTheStoreToo() throws Exception {
    Registry<CreateOp> registry = registry(store);
    CreateOp old = new CreateOp("old", 1);
    registry.run(old, o -> null);
    clock.advance(Duration.ofHours(2));
    CreateOp recent = new CreateOp("recent", 1);
    registry.run(recent, o -> null);
    CreateOp running = new CreateOp("busy", 1);
    CountDownLatch entered = new CountDownLatch(1);
    registry.start(
        running,
        o -> {
          entered.countDown();
          Await.latch(release, "the test to release the work");
          return null;
        });
    Await.latch(entered, "the op's work to start");

    clock.advance(RETENTION.minusHours(1));
    // Past the retention but not yet pruned: listed no more, still found by id.
    Registry<CreateOp> restarted = registry(store);
    assertThat(restarted.list()).extracting(OpSnapshot::id).containsExactly(recent.id());
    assertThat(restarted.get(old.id()).id()).isEqualTo(old.id());

    registry.prune();
    assertThatThrownBy(() -> registry(store).get(old.id())).isInstanceOf(OpNotFoundException.class);
    assertThat(registry(store).get(recent.id()).state()).isEqualTo(OpState.SUCCEEDED);
    assertThat(registry.get(running.id()).state()).isEqualTo(OpState.RUNNING);
    assertThat(registry(store).get(running.id()).state()).isEqualTo(OpState.RUNNING);
    assertThat(registry(store).get(running.id()).finishedAt()).isEqualTo(Optional.empty());
  }
}
