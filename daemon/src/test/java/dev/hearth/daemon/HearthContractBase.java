package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the typed API's contract suites share ({@link HearthContract}, {@link HearthGuestContract}):
 * the VM fixture (fake firecracker, copy disks, fake host network and guest), the implementation
 * under test opened on it, and the assertions on its errors.
 */
abstract class HearthContractBase {
  @TempDir Path dir;
  VmFixture fx;
  Hearth hearth;

  /** Opens the implementation under test on the fixture's config and seams. */
  abstract Hearth open(VmFixture fixture);

  @BeforeEach
  void openHearth() {
    fx = new VmFixture(dir);
    hearth = open(fx);
  }

  @AfterEach
  void closeHearth() throws Exception {
    try {
      // A VM outlives hearth (as after a daemon stop): delete them, so no VMM process is left.
      for (Vm vm : hearth.vms().list()) {
        hearth.vms().delete(vm.id(), true);
      }
    } finally {
      closeAll();
    }
  }

  private void closeAll() throws Exception {
    try {
      hearth.close();
    } finally {
      try {
        fx.close();
      } finally {
        // Whatever a failed test left running (its delete above never came).
        VmAssertions.killLeftoverFakes(fx);
      }
    }
  }

  Vm createAndAwait(String name) throws InterruptedException {
    return hearth.vms().create(VmSpec.of(name, VmFixture.IMAGE)).operation().await();
  }

  static void assertKind(Throwable thrown, HearthException.Kind kind, String messageContains) {
    assertThat(thrown)
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(kind);
              assertThat(e.getMessage()).contains(messageContains);
            });
  }

  static Throwable catchThrowable(ThrowingCall call) {
    try {
      call.run();
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected an exception");
  }

  @FunctionalInterface
  interface ThrowingCall {
    void run() throws Exception;
  }
}
