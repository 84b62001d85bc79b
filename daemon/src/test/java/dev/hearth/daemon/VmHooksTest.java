package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registered VM capability hooks hear every lifecycle change, and a failing one harms nothing. */
class VmHooksTest {
  @TempDir Path dir;
  private VmFixture fx;

  /** Records "event name" lines. */
  static final class Recorder implements VmHook {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "recorder";
    }

    @Override
    public void started(Vm vm) {
      events.add("started " + vm.name() + " " + vm.state().wireName());
    }

    @Override
    public void stopped(Vm vm) {
      events.add("stopped " + vm.name() + " " + vm.state().wireName());
    }

    @Override
    public void deleted(Vm vm) {
      events.add("deleted " + vm.name());
    }
  }

  /** Throws on every event. */
  static final class Broken implements VmHook {
    @Override
    public String name() {
      return "broken";
    }

    @Override
    public void started(Vm vm) {
      throw new IllegalStateException("broken hook");
    }

    @Override
    public void stopped(Vm vm) {
      throw new IllegalStateException("broken hook");
    }

    @Override
    public void deleted(Vm vm) {
      throw new IllegalStateException("broken hook");
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  @Test
  void hooksHearCreateStopStartKillAndDeleteInOrderDespiteABrokenOne() throws Exception {
    Recorder recorder = new Recorder();
    fx = new VmFixture(dir);
    fx.start(fx.seams().withVmHook(new Broken()).withVmHook(recorder));

    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    assertThat(fx.call("vm.stop", "{\"vm\": \"demo\"}").path("state").asText())
        .isEqualTo("stopped");
    assertThat(fx.call("vm.start", "{\"vm\": \"demo\"}").path("state").asText())
        .isEqualTo("running");
    assertThat(fx.call("vm.kill", "{\"vm\": \"demo\"}").path("state").asText())
        .isEqualTo("stopped");
    fx.call("vm.delete", "{\"vm\": \"demo\"}");

    assertThat(recorder.events)
        .containsExactly(
            "started demo running",
            "stopped demo stopped",
            "started demo running",
            "stopped demo stopped",
            "deleted demo");
  }

  @Test
  void aDaemonRestartReportsReadoptedVmsAsStarted() throws Exception {
    fx = new VmFixture(dir).start();
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    fx.stopDaemon();

    Recorder recorder = new Recorder();
    fx.start(fx.seams().withVmHook(recorder));

    assertThat(recorder.events).containsExactly("started demo running");
    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
  }
}
