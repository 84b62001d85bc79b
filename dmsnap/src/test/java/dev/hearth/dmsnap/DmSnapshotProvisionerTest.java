package dev.hearth.dmsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.core.testing.RecordingFileSync;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DmSnapshotProvisionerTest {
  private static final String VM = "0123abcd";
  private static final long MIB = 1 << 20;
  private static final Duration DELAY = Duration.ofMillis(200);

  @TempDir Path tmp;
  private Path image;
  private Path vmDir;
  private Path cow;
  private final FakeRunner runner = new FakeRunner();
  private final FakeClock clock = new FakeClock();
  private final RecordingFileSync sync = new RecordingFileSync();
  private DmSnapshotProvisioner provisioner;

  @BeforeEach
  void setUp() throws IOException {
    image = tmp.resolve("images/base/rootfs.ext4");
    Files.createDirectories(image.getParent());
    DiskSizes.createSparse(image, 8 * MIB);
    vmDir = Files.createDirectories(tmp.resolve("vms").resolve(VM));
    cow = vmDir.resolve("rootfs.cow");
    runner.on(List.of("losetup", "--find", "--show"), 0, "/dev/loop1\n", "");
    runner.on(List.of("losetup", "--find", "--show", "--read-only"), 0, "/dev/loop0\n", "");
    runner.on(List.of("blockdev", "--getsz", "/dev/loop0"), 0, "16384\n", "");
    provisioner = new DmSnapshotProvisioner(runner, clock, sync, 3, DELAY);
  }

  // The commands of a create, in order; the grown variant has the base device and the resize.
  private List<String> attachImage() {
    return List.of("losetup", "--find", "--show", "--read-only", image.toString());
  }

  private static List<String> readSectors() {
    return List.of("blockdev", "--getsz", "/dev/loop0");
  }

  private List<String> attachCow() {
    return List.of("losetup", "--find", "--show", cow.toString());
  }

  private static List<String> createBase() {
    return List.of("dmsetup", "create", "--readonly", "hearth-0123abcd-base");
  }

  private static List<String> createSnapshot(String origin, long sectors) {
    return List.of(
        "dmsetup",
        "create",
        "hearth-0123abcd",
        "--table",
        "0 " + sectors + " snapshot " + origin + " /dev/loop1 P 8");
  }

  private static List<String> check() {
    return List.of("e2fsck", "-fy", "/dev/mapper/hearth-0123abcd");
  }

  private static List<String> resize() {
    return List.of("resize2fs", "/dev/mapper/hearth-0123abcd");
  }

  private static List<String> remove(String name) {
    return List.of("dmsetup", "remove", name);
  }

  private static List<String> detach(String loop) {
    return List.of("losetup", "--detach", loop);
  }

  @Test
  void createsSnapshotOfReadOnlyImageLoopWithCowOnSecondLoop() throws Exception {
    RootDisk disk = provisioner.create(VM, image, vmDir, OptionalLong.empty());

    assertThat(runner.argvs())
        .containsExactly(
            attachImage(), readSectors(), attachCow(), createSnapshot("/dev/loop0", 16384));
    assertThat(disk.path()).isEqualTo(Path.of("/dev/mapper/hearth-0123abcd"));
    assertThat(disk.kind()).isEqualTo(ProvisionerKind.DM_SNAPSHOT);
    assertThat(disk.sizeBytes()).isEqualTo(8 * MIB);
    assertThat(disk.file()).isEqualTo(cow);
    // The COW file and its folder entry are on storage before the caller records the disk.
    assertThat(sync.journal()).containsExactly("fsync file " + cow, "fsync dir " + vmDir);
    assertThat(disk.dmDevices()).containsExactly("hearth-0123abcd");
    assertThat(disk.loops())
        .containsExactly(new LoopDevice("/dev/loop0", image), new LoopDevice("/dev/loop1", cow));
    // The COW holds the whole disk plus the snapshot's metadata, and is a hole until written.
    assertThat(Files.size(cow)).isEqualTo(DmSnapshotProvisioner.cowBytes(8 * MIB));
    assertThat(Files.size(cow)).isGreaterThan(8 * MIB + 8 * MIB / 256);
    assertThat((long) Files.getAttribute(cow, "unix:size")).isEqualTo(Files.size(cow));
  }

  @Test
  void requestedSizeEqualToImageDoesNotGrow() throws Exception {
    provisioner.create(VM, image, vmDir, OptionalLong.of(8 * MIB));

    assertThat(runner.argvs())
        .containsExactly(
            attachImage(), readSectors(), attachCow(), createSnapshot("/dev/loop0", 16384));
  }

  @Test
  void growsThroughZeroExtendedReadOnlyOriginThenResizesTheFilesystem() throws Exception {
    RootDisk disk = provisioner.create(VM, image, vmDir, OptionalLong.of(16 * MIB));

    assertThat(runner.argvs())
        .containsExactly(
            attachImage(),
            readSectors(),
            attachCow(),
            createBase(),
            createSnapshot("/dev/mapper/hearth-0123abcd-base", 32768),
            check(),
            resize());
    Command base = runner.commands().get(3);
    assertThat(new String(base.stdin().orElseThrow(), StandardCharsets.UTF_8))
        .isEqualTo("0 16384 linear /dev/loop0 0\n16384 16384 zero\n");
    assertThat(disk.sizeBytes()).isEqualTo(16 * MIB);
    assertThat(disk.dmDevices()).containsExactly("hearth-0123abcd", "hearth-0123abcd-base");
    assertThat(Files.size(cow)).isEqualTo(DmSnapshotProvisioner.cowBytes(16 * MIB));
  }

  @Test
  void growRoundsTheRequestUpToWholeBlocks() throws Exception {
    RootDisk disk = provisioner.create(VM, image, vmDir, OptionalLong.of(8 * MIB + 1));

    assertThat(disk.sizeBytes()).isEqualTo(8 * MIB + 4096);
    assertThat(runner.argvs()).contains(createSnapshot("/dev/mapper/hearth-0123abcd-base", 16392));
  }

  @Test
  void filesystemCheckThatFixedSomethingStillGrows() throws Exception {
    runner.on(List.of("e2fsck"), 1, "", "fixed a few things\n");

    provisioner.create(VM, image, vmDir, OptionalLong.of(16 * MIB));

    assertThat(runner.argvs()).endsWith(check(), resize());
  }

  @Test
  void requestSmallerThanImageIsRefusedNamingBothSizesBeforeAnyCommand() {
    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.of(4 * MIB)))
        .isInstanceOf(DiskSizeException.class)
        .hasMessageContaining("4 MiB, 4194304 bytes")
        .hasMessageContaining("8 MiB, 8388608 bytes")
        .hasMessageContaining(image.toString());
    assertThat(runner.argvs()).isEmpty();
  }

  /** Each create step of the grown path, failing, with what must run up to and after it. */
  enum FailingStep {
    ATTACH_IMAGE_LOOP(CreateStep.ATTACH_IMAGE_LOOP, 0),
    READ_IMAGE_SECTORS(CreateStep.READ_IMAGE_SECTORS, 1),
    ATTACH_COW_LOOP(CreateStep.ATTACH_COW_LOOP, 2),
    CREATE_BASE_DEVICE(CreateStep.CREATE_BASE_DEVICE, 3),
    CREATE_SNAPSHOT_DEVICE(CreateStep.CREATE_SNAPSHOT_DEVICE, 4),
    CHECK_FILESYSTEM(CreateStep.CHECK_FILESYSTEM, 5),
    RESIZE_FILESYSTEM(CreateStep.RESIZE_FILESYSTEM, 6);

    final CreateStep step;
    final int commandIndex;

    FailingStep(CreateStep step, int commandIndex) {
      this.step = step;
      this.commandIndex = commandIndex;
    }
  }

  @ParameterizedTest
  @EnumSource(FailingStep.class)
  void failureAtAnyStepUndoesExactlyTheEarlierSteps(FailingStep failing) {
    List<List<String>> steps =
        List.of(
            attachImage(),
            readSectors(),
            attachCow(),
            createBase(),
            createSnapshot("/dev/mapper/hearth-0123abcd-base", 32768),
            check(),
            resize());
    // The undo of each step above (the COW file's deletion is checked on the file itself).
    List<List<String>> undos =
        List.of(
            detach("/dev/loop0"),
            List.of(),
            detach("/dev/loop1"),
            remove("hearth-0123abcd-base"),
            remove("hearth-0123abcd"),
            List.of(),
            List.of());
    List<String> failingArgv = steps.get(failing.commandIndex);
    runner.on(failingArgv, 4, "", "boom at " + failing.step + "\n");

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.of(16 * MIB)))
        .isInstanceOfSatisfying(
            DiskCreateException.class,
            e -> {
              assertThat(e.step()).isEqualTo(failing.step);
              assertThat(e.vmId()).isEqualTo(VM);
              assertThat(e.getMessage()).contains(failing.step.description());
              assertThat(e.commandException()).isPresent();
              assertThat(e.commandException().get().argv()).isEqualTo(failingArgv);
              assertThat(e.commandException().get().exitCode()).isEqualTo(4);
              assertThat(e.getSuppressed()).isEmpty();
            });

    List<List<String>> expected = new ArrayList<>(steps.subList(0, failing.commandIndex + 1));
    for (int i = failing.commandIndex; i >= 0; i--) {
      // A step's own undo runs only when it succeeded.
      if (i < failing.commandIndex && !undos.get(i).isEmpty()) {
        expected.add(undos.get(i));
      }
    }
    assertThat(runner.argvs()).containsExactlyElementsOf(expected);
    assertThat(cow).doesNotExist();
  }

  @Test
  void snapshotFailureWithoutGrowthDetachesBothLoopsAndDeletesTheCow() {
    runner.on(List.of("dmsetup", "create"), 1, "", "device-mapper: reload ioctl failed\n");

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.empty()))
        .isInstanceOfSatisfying(
            DiskCreateException.class,
            e -> assertThat(e.step()).isEqualTo(CreateStep.CREATE_SNAPSHOT_DEVICE));
    assertThat(runner.argvs())
        .containsExactly(
            attachImage(),
            readSectors(),
            attachCow(),
            createSnapshot("/dev/loop0", 16384),
            detach("/dev/loop1"),
            detach("/dev/loop0"));
    assertThat(cow).doesNotExist();
  }

  @Test
  void existingCowFileFailsTheCreateAndIsLeftAlone() throws Exception {
    Files.writeString(cow, "someone else's");

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.empty()))
        .isInstanceOfSatisfying(
            DiskCreateException.class,
            e -> {
              assertThat(e.step()).isEqualTo(CreateStep.CREATE_COW_FILE);
              assertThat(e.commandException()).isEmpty();
            });
    assertThat(runner.argvs()).containsExactly(attachImage(), readSectors(), detach("/dev/loop0"));
    assertThat(Files.readString(cow)).isEqualTo("someone else's");
  }

  @Test
  void failedUndoIsReportedAsSuppressed() {
    runner.on(List.of("dmsetup", "create"), 1, "", "no snapshot target\n");
    runner.on(detach("/dev/loop1"), 1, "", "loop busy\n");

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.empty()))
        .isInstanceOfSatisfying(
            DiskCreateException.class,
            e -> {
              assertThat(e.getSuppressed()).hasSize(1);
              assertThat(e.getSuppressed()[0]).hasMessageContaining("losetup --detach /dev/loop1");
            });
    // The loop that could not be detached does not stop the rest of the undo.
    assertThat(runner.argvs()).endsWith(detach("/dev/loop1"), detach("/dev/loop0"));
    assertThat(cow).doesNotExist();
  }

  @Test
  void unexpectedLosetupOutputNamesTheStep() {
    runner.on(List.of("losetup", "--find", "--show", "--read-only"), 0, "", "");

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.empty()))
        .isInstanceOfSatisfying(
            DiskCreateException.class,
            e -> {
              assertThat(e.step()).isEqualTo(CreateStep.ATTACH_IMAGE_LOOP);
              assertThat(e.getCause()).isInstanceOf(UnexpectedOutputException.class);
            });
  }

  @Test
  void interruptArrivingDuringAFailedStepIsKeptThroughTheUndo() {
    runner.on(
        List.of("dmsetup", "create"),
        c -> {
          Thread.currentThread().interrupt();
          throw new CommandException(c.argv(), CommandException.NO_EXIT_CODE, "", "interrupted");
        });

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.empty()))
        .isInstanceOf(DiskCreateException.class);
    assertThat(runner.argvs()).endsWith(detach("/dev/loop1"), detach("/dev/loop0"));
    // The interrupt is not lost by undoing.
    assertThat(Thread.interrupted()).isTrue();
  }

  private RootDisk grownDisk() throws IOException {
    Files.writeString(cow, "cow data");
    return new RootDisk(
        VM,
        ProvisionerKind.DM_SNAPSHOT,
        Path.of("/dev/mapper/hearth-0123abcd"),
        16 * MIB,
        cow,
        List.of("hearth-0123abcd", "hearth-0123abcd-base"),
        List.of(new LoopDevice("/dev/loop0", image), new LoopDevice("/dev/loop1", cow)));
  }

  private String losetupJson(String... nameAndFile) {
    StringBuilder sb = new StringBuilder("{\n   \"loopdevices\": [\n");
    for (int i = 0; i < nameAndFile.length; i += 2) {
      sb.append("      {\n         \"name\": \"")
          .append(nameAndFile[i])
          .append("\",\n         \"sizelimit\": 0,\n         \"offset\": 0,\n")
          .append("         \"autoclear\": false,\n         \"ro\": false,\n")
          .append("         \"back-file\": \"")
          .append(nameAndFile[i + 1])
          .append("\",\n         \"dio\": false,\n         \"log-sec\": 512\n      }")
          .append(i + 2 < nameAndFile.length ? ",\n" : "\n");
    }
    return sb.append("   ]\n}\n").toString();
  }

  @Test
  void removeTakesDevicesDownOuterFirstThenDetachesLoopsThenDeletesCow() throws Exception {
    RootDisk disk = grownDisk();
    runner.on(
        List.of("losetup", "--json", "--list"),
        0,
        losetupJson("/dev/loop0", image.toString(), "/dev/loop1", cow.toString()),
        "");

    provisioner.remove(disk);

    assertThat(runner.argvs())
        .containsExactly(
            remove("hearth-0123abcd"),
            remove("hearth-0123abcd-base"),
            List.of("losetup", "--json", "--list"),
            detach("/dev/loop0"),
            detach("/dev/loop1"));
    assertThat(cow).doesNotExist();
  }

  @Test
  void removeSkipsLoopsNowBackedByOtherFilesAndDevicesAlreadyGone() throws Exception {
    RootDisk disk = grownDisk();
    runner.on(
        remove("hearth-0123abcd"), 1, "", "Device hearth-0123abcd not found\nCommand failed.\n");
    runner.on(
        remove("hearth-0123abcd-base"),
        1,
        "",
        "device-mapper: remove ioctl on hearth-0123abcd-base  failed: No such device or address\n");
    // After a reboot loop0 belongs to someone else and loop1 does not exist.
    runner.on(
        List.of("losetup", "--json", "--list"), 0, losetupJson("/dev/loop0", "/srv/x.img"), "");

    provisioner.remove(disk);

    assertThat(runner.argvs())
        .containsExactly(
            remove("hearth-0123abcd"),
            remove("hearth-0123abcd-base"),
            List.of("losetup", "--json", "--list"));
    assertThat(cow).doesNotExist();
  }

  @Test
  void removeRetriesWhileBusyThenSucceeds() throws Exception {
    RootDisk disk = grownDisk();
    AtomicInteger calls = new AtomicInteger();
    runner.on(
        remove("hearth-0123abcd"),
        c ->
            calls.incrementAndGet() <= 2
                ? FakeRunner.result(
                    c,
                    1,
                    "",
                    "device-mapper: remove ioctl on hearth-0123abcd  failed: Device or resource"
                        + " busy\nCommand failed.\n")
                : FakeRunner.result(c, 0, "", ""));
    runner.on(List.of("losetup", "--json", "--list"), 0, "", "");
    long before = clock.nanoTime();

    provisioner.remove(disk);

    assertThat(runner.argvs())
        .containsExactly(
            remove("hearth-0123abcd"),
            remove("hearth-0123abcd"),
            remove("hearth-0123abcd"),
            remove("hearth-0123abcd-base"),
            List.of("losetup", "--json", "--list"));
    assertThat(clock.nanoTime() - before).isEqualTo(2 * DELAY.toNanos());
    assertThat(cow).doesNotExist();
  }

  @Test
  void removeGivesUpWhenStillBusyNamingTheDeviceAndKeepsWhatIsUnderIt() throws Exception {
    RootDisk disk = grownDisk();
    runner.on(
        remove("hearth-0123abcd"),
        1,
        "",
        "device-mapper: remove ioctl on hearth-0123abcd  failed: Device or resource busy\n");

    assertThatThrownBy(() -> provisioner.remove(disk))
        .isInstanceOfSatisfying(
            DeviceBusyException.class,
            e -> {
              assertThat(e.device()).isEqualTo("hearth-0123abcd");
              assertThat(e.getMessage()).contains("hearth-0123abcd").contains("3 removal attempts");
              assertThat(e.getCause()).isInstanceOf(CommandException.class);
            });
    assertThat(runner.argvs())
        .containsExactly(
            remove("hearth-0123abcd"), remove("hearth-0123abcd"), remove("hearth-0123abcd"));
    assertThat(cow).exists();
  }

  @Test
  void removeFailureOtherThanBusyIsNotRetried() throws Exception {
    RootDisk disk = grownDisk();
    runner.on(remove("hearth-0123abcd"), 1, "", "Permission denied\n");

    assertThatThrownBy(() -> provisioner.remove(disk))
        .isExactlyInstanceOf(DiskRemoveException.class)
        .hasMessageContaining("hearth-0123abcd");
    assertThat(runner.argvs()).containsExactly(remove("hearth-0123abcd"));
  }
}
