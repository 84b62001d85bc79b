package dev.hearth.fcproc.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.Await;
import dev.hearth.fcproc.FcprocException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProcessIdentityTest {

  /** A process table that holds what the test puts in it. */
  static final class FakeProcessTable implements ProcessTable {
    final Map<Integer, ProcessStat> stats = new HashMap<>();

    FakeProcessTable with(int pid, char state, long startTime) {
      stats.put(pid, new ProcessStat(pid, state, pid, startTime));
      return this;
    }

    @Override
    public Optional<ProcessStat> stat(int pid) {
      return Optional.ofNullable(stats.get(pid));
    }

    @Override
    public List<ProcessStat> liveInSession(int sessionId) {
      return stats.values().stream()
          .filter(s -> s.sessionId() == sessionId && !s.exited())
          .toList();
    }

    @Override
    public List<Integer> pids() {
      return List.copyOf(stats.keySet());
    }

    @Override
    public List<String> commandLine(int pid) {
      return List.of();
    }
  }

  @Test
  void parsesStartTimeAndSessionEvenWithParenthesesInTheName() {
    String line =
        "4242 (fire (cr) acker) S 1 4242 4242 0 -1 4194560 1024 0 0 0 3 1 0 0 20 0 2 0 "
            + "987654 123456 789 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
    assertThat(ProcessStat.parse(line)).isEqualTo(new ProcessStat(4242, 'S', 4242, 987654L));
    assertThat(ProcessStat.parse(line.replace(" S ", " Z ")).exited()).isTrue();
    assertThatThrownBy(() -> ProcessStat.parse("garbage"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aReusedPidWithAnotherStartTimeIsNotAlive() {
    FakeProcessTable table = new FakeProcessTable().with(100, 'S', 5000);
    ProcessIdentity recorded = ProcessIdentity.of(100, table);
    assertThat(recorded).isEqualTo(new ProcessIdentity(100, 5000));
    assertThat(recorded.isAlive(table)).isTrue();

    table.with(100, 'S', 7777);
    assertThat(recorded.isAlive(table)).isFalse();
  }

  @Test
  void aDeadOrZombiePidIsNotAlive() {
    FakeProcessTable table = new FakeProcessTable().with(100, 'Z', 5000);
    assertThat(new ProcessIdentity(100, 5000).isAlive(table)).isFalse();
    assertThat(new ProcessIdentity(200, 5000).isAlive(table)).isFalse();
    assertThatThrownBy(() -> ProcessIdentity.of(200, table))
        .isInstanceOf(FcprocException.class)
        .hasMessageContaining("200");
  }

  @Test
  void readsTheRealProcfs() throws Exception {
    ProcessTable procfs = ProcessTable.procfs();
    int self = (int) ProcessHandle.current().pid();
    ProcessIdentity me = ProcessIdentity.of(self, procfs);
    assertThat(me.startTime()).isPositive();
    assertThat(me.isAlive(procfs)).isTrue();
    assertThat(new ProcessIdentity(self, me.startTime() + 1).isAlive(procfs)).isFalse();

    Process p = new ProcessBuilder("true").start();
    Await.exit(p, Await.DEFAULT, "true");
    assertThat(procfs.stat((int) p.pid())).isEmpty();
  }
}
