package dev.hearth.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupplementaryGroupsTest {
  @TempDir Path proc;

  @Test
  void readsTheGroupsLineOfTheProcessStatus() throws IOException {
    Files.createDirectories(proc.resolve("123"));
    Files.writeString(
        proc.resolve("123/status"),
        "Name:\tbash\nGid:\t100\t100\t100\t100\nGroups:\t4 24 500 \nNgid:\t0\n");
    assertThat(SupplementaryGroups.fromProc(proc).of(123)).isEqualTo(Set.of(4L, 24L, 500L));
  }

  @Test
  void anEmptyGroupsLineIsNoGroups() throws IOException {
    Files.createDirectories(proc.resolve("7"));
    Files.writeString(proc.resolve("7/status"), "Name:\tinit\nGroups:\t\n");
    assertThat(SupplementaryGroups.fromProc(proc).of(7)).isEmpty();
  }

  @Test
  void aProcessThatIsGoneIsAnError() {
    assertThatThrownBy(() -> SupplementaryGroups.fromProc(proc).of(99))
        .isInstanceOf(IOException.class);
  }
}
