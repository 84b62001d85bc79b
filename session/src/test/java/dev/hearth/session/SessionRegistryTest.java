package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The registry keeps what the last list named and what a call uses, nothing else. */
class SessionRegistryTest {
  private static final String VM = "0123abcd";

  private final SessionRegistry registry = new SessionRegistry();

  @Test
  void eachListReplacesTheSessionsTheLastOneNamed() {
    // A guest that renames its session folders between lists: every list names fresh ids.
    for (int round = 0; round < 5; round++) {
      registry.update(VM, sessions(round * 1000, 1000));
    }

    assertThat(IntStream.range(0, 4000).mapToObj(i -> registry.find(VM, id(i))))
        .allMatch(Optional::isEmpty);
    assertThat(IntStream.range(4000, 5000).mapToObj(i -> registry.find(VM, id(i))))
        .allMatch(Optional::isPresent);
    registry.update(VM, List.of());
    assertThat(registry.find(VM, id(4000))).isEmpty();
  }

  @Test
  void aSessionListedAgainKeepsItsControllerWithTheNewState() {
    registry.update(VM, List.of(session(1, SessionState.RUNNING)));
    SessionController before = registry.find(VM, id(1)).orElseThrow();

    registry.update(VM, List.of(session(1, SessionState.EXITED), session(2, SessionState.RUNNING)));

    assertThat(registry.find(VM, id(1))).containsSame(before);
    assertThat(before.info().state()).isEqualTo(SessionState.EXITED);
  }

  @Test
  void aControllerInUseSurvivesAListThatOmitsItSoItsLockStaysTheOnlyOne() {
    registry.update(VM, List.of(session(1, SessionState.RUNNING)));
    SessionController writer = registry.acquire(VM, id(1)).orElseThrow();
    writer.writeLock.lock();
    try {
      registry.update(VM, List.of(session(2, SessionState.RUNNING)));

      assertThat(registry.find(VM, id(1))).containsSame(writer);
      // A second writer that finds the session in a later list waits on the same lock.
      SessionController second = registry.acquire(VM, session(1, SessionState.RUNNING));
      assertThat(second).isSameAs(writer);
      registry.release(second);
    } finally {
      writer.writeLock.unlock();
      registry.release(writer);
    }

    registry.update(VM, List.of(session(2, SessionState.RUNNING)));
    assertThat(registry.find(VM, id(1))).isEmpty();
  }

  @Test
  void anAttachInputPumpKeepsTheControllerAfterTheAttachReturns() {
    SessionController attach = registry.acquire(VM, session(1, SessionState.RUNNING));
    registry.retain(attach);
    registry.release(attach);

    registry.update(VM, List.of());
    assertThat(registry.find(VM, id(1))).containsSame(attach);

    registry.release(attach);
    registry.update(VM, List.of());
    assertThat(registry.find(VM, id(1))).isEmpty();
  }

  @Test
  void aStartedSessionAListMissedIsDroppedAndFoundAgain() {
    SessionController started = registry.add(VM, session(1, SessionState.RUNNING));
    registry.update(VM, List.of());
    assertThat(registry.find(VM, id(1))).isEmpty();

    SessionController found = registry.acquire(VM, session(1, SessionState.RUNNING));
    assertThat(found).isNotSameAs(started);
    assertThat(registry.find(VM, id(1))).containsSame(found);
    registry.release(found);
  }

  @Test
  void aListOfOneVmLeavesTheOthersAlone() {
    registry.update("other", List.of(session(7, SessionState.RUNNING)));
    registry.update(VM, List.of(session(1, SessionState.RUNNING)));

    assertThat(registry.find("other", id(7))).isPresent();
    registry.forget("other");
    assertThat(registry.find("other", id(7))).isEmpty();
  }

  private static List<SessionInfo> sessions(int first, int count) {
    return IntStream.range(first, first + count)
        .mapToObj(i -> session(i, SessionState.RUNNING))
        .toList();
  }

  private static SessionInfo session(int n, SessionState state) {
    return new SessionInfo(
        id(n),
        Optional.empty(),
        List.of("sleep", "1000"),
        Optional.empty(),
        Map.of(),
        Instant.ofEpochMilli(n),
        state,
        state == SessionState.EXITED ? OptionalInt.of(0) : OptionalInt.empty());
  }

  private static String id(int n) {
    return String.format("%010x", n);
  }
}
