package dev.hearth.dmsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.FileSync;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.FakeRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvisionersTest {
  @TempDir Path tmp;

  @Test
  void autoPicksDmSnapshotWhereDeviceMapperWorksElseCopy() {
    assertThat(Provisioners.choose("auto", true)).isEqualTo(ProvisionerKind.DM_SNAPSHOT);
    assertThat(Provisioners.choose("auto", false)).isEqualTo(ProvisionerKind.COPY);
  }

  @Test
  void explicitChoices() {
    assertThat(Provisioners.choose("copy", true)).isEqualTo(ProvisionerKind.COPY);
    assertThat(Provisioners.choose("copy", false)).isEqualTo(ProvisionerKind.COPY);
    assertThat(Provisioners.choose("dm-snapshot", true)).isEqualTo(ProvisionerKind.DM_SNAPSHOT);
  }

  @Test
  void dmSnapshotWithoutDeviceMapperIsAnError() {
    assertThatThrownBy(() -> Provisioners.choose("dm-snapshot", false))
        .isInstanceOf(ProvisionerChoiceException.class)
        .hasMessageContaining("dm-snapshot")
        .hasMessageContaining("'copy' or 'auto'");
  }

  @Test
  void unknownNameIsAnErrorNamingIt() {
    assertThatThrownBy(() -> Provisioners.choose("zfs", true))
        .isInstanceOf(ProvisionerChoiceException.class)
        .hasMessageContaining("'zfs'")
        .hasMessageContaining("auto, dm-snapshot or copy");
  }

  @Test
  void createBuildsTheChosenKind() {
    FakeRunner runner = new FakeRunner();
    assertThat(
            Provisioners.create(ProvisionerKind.COPY, runner, new FakeClock(), FileSync.system()))
        .isInstanceOf(CopyProvisioner.class);
    assertThat(
            Provisioners.create(
                    ProvisionerKind.DM_SNAPSHOT, runner, new FakeClock(), FileSync.system())
                .kind())
        .isEqualTo(ProvisionerKind.DM_SNAPSHOT);
  }

  private static final String TARGETS_WITH_SNAPSHOT =
      "snapshot-merge   v1.5.0\nsnapshot-origin  v1.9.0\nsnapshot         v1.16.0\n"
          + "striped          v1.6.0\nlinear           v1.4.0\nerror            v1.6.0\n";
  private static final String TARGETS_BARE =
      "striped          v1.6.0\nlinear           v1.4.0\nerror            v1.6.0\n";

  private Path control() throws IOException {
    return Files.createFile(tmp.resolve("control"));
  }

  @Test
  void probeFindsControlNodeAndSnapshotTarget() throws Exception {
    FakeRunner runner =
        new FakeRunner().on(List.of("dmsetup", "targets"), 0, TARGETS_WITH_SNAPSHOT, "");

    DeviceMapperStatus status =
        new DeviceMapperProbe(runner, control(), tmp.resolve("modules")).probe();

    assertThat(status.available()).isTrue();
    assertThat(runner.argvs()).containsExactly(List.of("dmsetup", "targets"));
  }

  @Test
  void probeWithoutControlNodeRunsNothing() throws Exception {
    FakeRunner runner = new FakeRunner();

    DeviceMapperStatus status =
        new DeviceMapperProbe(runner, tmp.resolve("control"), tmp.resolve("modules")).probe();

    assertThat(status.available()).isFalse();
    assertThat(status.detail()).contains("control is missing");
    assertThat(runner.argvs()).isEmpty();
  }

  @Test
  void probeWhenDmsetupFails() throws Exception {
    FakeRunner runner =
        new FakeRunner()
            .on(
                List.of("dmsetup", "targets"),
                1,
                "",
                "/dev/mapper/control: open failed: Permission denied\nFailure to communicate with"
                    + " kernel device-mapper driver.\n");

    DeviceMapperStatus status =
        new DeviceMapperProbe(runner, control(), tmp.resolve("modules")).probe();

    assertThat(status.available()).isFalse();
    assertThat(status.detail()).contains("exit code 1").contains("Permission denied");
  }

  @Test
  void probeCountsAnUnloadedSnapshotModuleOfTheRunningKernel() throws Exception {
    FakeRunner runner = new FakeRunner().on(List.of("dmsetup", "targets"), 0, TARGETS_BARE, "");
    Path modules = Files.createDirectories(tmp.resolve("modules"));

    DeviceMapperProbe probe = new DeviceMapperProbe(runner, control(), modules);
    assertThat(probe.probe().available()).isFalse();
    assertThat(probe.probe().detail()).contains("no snapshot target").contains("linear");

    Files.writeString(
        modules.resolve("modules.dep"),
        "kernel/drivers/md/dm-snapshot.ko: kernel/drivers/md/dm-bufio.ko\n");
    assertThat(probe.probe().available()).isTrue();
  }
}
