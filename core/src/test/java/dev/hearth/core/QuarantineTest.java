package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.RecordingFileSync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuarantineTest {
  @TempDir Path dir;

  @Test
  void movesAFolderAsideWithItsContentUnderATimestampedNameAndSyncsBothFolders()
      throws IOException {
    Layout layout = new Layout(dir.resolve("state"), dir.resolve("run"));
    Path vm = layout.vmDir("abc123");
    Files.createDirectories(vm);
    Files.writeString(vm.resolve("rootfs.ext4"), "the guest's data");
    RecordingFileSync sync = new RecordingFileSync();
    Quarantine quarantine =
        new Quarantine(layout, new FakeClock(Instant.parse("2026-12-05T01:02:03Z")), sync);

    Path moved = quarantine.moveAside(vm, "vm-abc123");

    assertThat(moved).isEqualTo(layout.quarantineDir().resolve("20261205T010203Z-vm-abc123"));
    assertThat(vm).doesNotExist();
    assertThat(moved.resolve("rootfs.ext4")).hasContent("the guest's data");
    assertThat(sync.journal())
        .containsExactly(
            "fsync dir " + layout.stateDir(),
            "fsync dir " + layout.quarantineDir(),
            "fsync dir " + layout.vmsDir());
  }

  @Test
  void aTakenNameGetsANumber() throws IOException {
    Layout layout = new Layout(dir.resolve("state"), dir.resolve("run"));
    Quarantine quarantine =
        new Quarantine(
            layout, new FakeClock(Instant.parse("2026-12-05T01:02:03Z")), new RecordingFileSync());
    Path first = Files.writeString(dir.resolve("one"), "1");
    Path second = Files.writeString(dir.resolve("two"), "2");
    assertThat(quarantine.moveAside(first, "x").getFileName()).hasToString("20261205T010203Z-x");
    assertThat(quarantine.moveAside(second, "x").getFileName()).hasToString("20261205T010203Z-x-2");
  }

  @Test
  void refusesALabelThatIsNotAPlainName() {
    Layout layout = new Layout(dir.resolve("state"), dir.resolve("run"));
    Quarantine quarantine =
        new Quarantine(layout, new FakeClock(Instant.EPOCH), new RecordingFileSync());
    assertThatThrownBy(() -> quarantine.moveAside(dir, "../x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("../x");
  }
}
