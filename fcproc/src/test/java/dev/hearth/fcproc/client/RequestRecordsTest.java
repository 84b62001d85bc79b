package dev.hearth.fcproc.client;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RequestRecordsTest {

  @Test
  void pathIdsFollowFirecrackersRule() {
    assertThatThrownBy(() -> new Drive("root-fs", Path.of("/x"), true, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("root-fs");
    assertThatThrownBy(() -> new Drive("../etc", Path.of("/x"), true, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NetworkInterface("eth 0", "tap0", "06:00:0a:00:00:02"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void valuesFirecrackerWouldRefuseAreRefusedHere() {
    assertThatThrownBy(() -> new MachineConfig(0, 128)).hasMessageContaining("vcpu_count");
    assertThatThrownBy(() -> new MachineConfig(33, 128)).hasMessageContaining("vcpu_count");
    assertThatThrownBy(() -> new NetworkInterface("eth0", "tap0", "06:00:0a"))
        .hasMessageContaining("06:00:0a");
  }
}
