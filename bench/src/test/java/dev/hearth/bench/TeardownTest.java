package dev.hearth.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TeardownTest {
  private final List<String> undone = new ArrayList<>();

  @Test
  void undoesWhatStartedOnceAndTheLastStartedFirst() throws Exception {
    Teardown teardown = Teardown.onStop();
    teardown.start(() -> "bridge", undone::add);
    teardown.start(() -> "daemon", undone::add);

    teardown.close();
    teardown.close();

    assertThat(undone).containsExactly("daemon", "bridge");
  }

  @Test
  void anEarlyUndoIsNotRepeatedAtTheEnd() throws Exception {
    try (Teardown teardown = Teardown.onStop()) {
      teardown.start(() -> "bridge", undone::add);
      String daemon = teardown.start(() -> "daemon of mode 1", undone::add);
      teardown.undo(daemon);
      teardown.start(() -> "daemon of mode 2", undone::add);
    }

    assertThat(undone).containsExactly("daemon of mode 1", "daemon of mode 2", "bridge");
  }

  @Test
  void startsNothingOnceClosed() throws Exception {
    Teardown teardown = Teardown.onStop();
    teardown.close();

    assertThatThrownBy(() -> teardown.start(() -> "daemon", undone::add))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the bench is stopping");
    assertThat(undone).isEmpty();
  }

  @Test
  void aFailedUndoDoesNotKeepTheOthersFromRunning() throws Exception {
    Teardown teardown = Teardown.onStop();
    teardown.start(() -> "bridge", undone::add);
    teardown.start(
        () -> "daemon",
        started -> {
          throw new IllegalStateException("the daemon did not stop");
        });
    teardown.start(
        () -> "vm",
        started -> {
          throw new IllegalStateException("the VM was not deleted");
        });

    assertThatThrownBy(teardown::close)
        .hasMessage("the VM was not deleted")
        .satisfies(
            e ->
                assertThat(e.getSuppressed())
                    .extracting(Throwable::getMessage)
                    .containsExactly("the daemon did not stop"));
    assertThat(undone).containsExactly("bridge");
  }
}
