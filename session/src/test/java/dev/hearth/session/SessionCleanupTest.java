package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import dev.hearth.session.testing.SessionProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test kit's clean-up ({@link LocalGuest#close}, which is {@link
 * SessionProcesses#killSessions}): whatever state a test leaves a session in, none of its processes
 * outlives the test. A leak here lives on after the suite (a holder sleeps for 68 years).
 */
class SessionCleanupTest {
  @TempDir Path dir;
  private LocalGuest guest;

  @BeforeEach
  void setUp() throws Exception {
    guest = new LocalGuest(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    guest.close();
  }

  private String startSleeper() throws Exception {
    SessionSpec spec =
        new SessionSpec(
            SessionIds.newId(),
            Optional.empty(),
            List.of("sleep", "1000"),
            Optional.empty(),
            Map.of(),
            Instant.now());
    return SessionListing.parseStarted(spec.id(), guest.ok(guest.scripts.start(spec)));
  }

  private long pidIn(String id, String file) throws Exception {
    return Long.parseLong(Files.readString(guest.root.resolve(id).resolve(file)).strip());
  }

  @Test
  void aRunningSessionsWrapperHolderAndCommandAllEnd() throws Exception {
    String id = startSleeper();
    List<Long> processes = List.of(pidIn(id, "wrapper.pid"), pidIn(id, "holder.pid"));
    long command = pidIn(id, "pid");
    assertThat(processes).noneMatch(SessionProcesses::ended);
    assertThat(SessionProcesses.ended(command)).isFalse();

    guest.close();

    assertThat(processes).as("the wrapper and the stdin holder").allMatch(SessionProcesses::ended);
    assertThat(SessionProcesses.ended(command)).as("the command").isTrue();
  }

  /**
   * A wrapper killed with SIGKILL (a test playing a kill in the guest) can no longer kill its stdin
   * holder, which stays in the wrapper's session: the clean-up must find it there.
   */
  @Test
  void theStdinHolderOfAKilledWrapperEnds() throws Exception {
    String id = startSleeper();
    long wrapper = pidIn(id, "wrapper.pid");
    long holder = pidIn(id, "holder.pid");
    guest.ok("kill -KILL " + wrapper);
    Await.until("the killed wrapper " + wrapper + " to end", () -> SessionProcesses.ended(wrapper));
    assertThat(SessionProcesses.ended(holder)).as("the holder, before the clean-up").isFalse();

    guest.close();

    assertThat(SessionProcesses.ended(holder)).as("the holder, after the clean-up").isTrue();
  }
}
