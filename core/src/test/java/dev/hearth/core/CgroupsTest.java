package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.FakePosix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which hierarchy is chosen from a mountinfo file, and what a v2 group is given (on a folder). */
class CgroupsTest {
  @TempDir Path dir;

  private static final CgroupLimits LIMITS =
      new CgroupLimits(OptionalLong.of(512L << 20), OptionalLong.of(64), OptionalDouble.of(1.5));

  private LinuxCgroups detect(String mountinfo) throws Exception {
    Path file = dir.resolve("mountinfo");
    Files.writeString(file, mountinfo);
    return LinuxCgroups.detect(file, new FakePosix(0, 0), new FakeClock());
  }

  private Path v2Root(String controllers) throws Exception {
    Path root = Files.createDirectories(dir.resolve("unified"));
    Files.writeString(root.resolve("cgroup.controllers"), controllers + "\n");
    Files.writeString(root.resolve("cgroup.subtree_control"), "");
    return root;
  }

  @Test
  void aUnifiedHierarchyWithTheControllersIsUsedAndGivesItsGroupTheLimits() throws Exception {
    Path root = v2Root("cpuset cpu io memory pids");
    LinuxCgroups cgroups =
        detect("30 1 0:26 / " + root + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");

    assertThat(cgroups.available()).isTrue();
    assertThat(cgroups.describe()).isEqualTo("cgroup v2 (" + root + ")");
    Cgroup group = cgroups.create("build-base", LIMITS);

    Path folder = root.resolve("hearth/build-base");
    assertThat(group.describe()).isEqualTo("v2:/hearth/build-base");
    assertThat(group.procsFiles()).containsExactly(folder.resolve("cgroup.procs"));
    assertThat(Files.readString(root.resolve("cgroup.subtree_control")))
        .isEqualTo("+memory +pids +cpu");
    assertThat(Files.readString(root.resolve("hearth/cgroup.subtree_control")))
        .isEqualTo("+memory +pids +cpu");
    assertThat(Files.readString(folder.resolve("memory.max"))).isEqualTo("536870912");
    assertThat(Files.readString(folder.resolve("pids.max"))).isEqualTo("64");
    assertThat(Files.readString(folder.resolve("cpu.max"))).isEqualTo("150000 100000");
  }

  @Test
  void aHybridHostUsesTheV1ControllersWhenTheUnifiedMountHasNone() throws Exception {
    Path unified = v2Root("");
    LinuxCgroups cgroups =
        detect(
            "30 25 0:26 / "
                + unified
                + " rw - cgroup2 cgroup2 rw\n"
                + "31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                + "32 25 0:28 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
                + "33 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n");

    assertThat(cgroups.describe())
        .isEqualTo(
            "cgroup v1 (memory /sys/fs/cgroup/memory, pids /sys/fs/cgroup/pids,"
                + " cpu /sys/fs/cgroup/cpu,cpuacct)");
  }

  @Test
  void withoutTheControllersNoGroupIsMadeAndTheErrorSaysWhy() throws Exception {
    LinuxCgroups cgroups =
        detect("31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");

    assertThat(cgroups.available()).isFalse();
    assertThatThrownBy(() -> cgroups.create("build-x", LIMITS))
        .isInstanceOf(CgroupException.class)
        .hasMessageContaining("hearth/build-x")
        .hasMessageContaining("memory and pids");
  }

  @Test
  void aMountPointWithASpaceIsUnescaped() throws Exception {
    Path root = v2Root("memory pids");
    Path spaced = Files.createDirectories(dir.resolve("with space"));
    Files.move(root, spaced.resolve("unified"));
    LinuxCgroups cgroups =
        detect(
            "30 1 0:26 / "
                + spaced.resolve("unified").toString().replace(" ", "\\040")
                + " rw - cgroup2 cgroup2 rw\n");

    assertThat(cgroups.describe()).isEqualTo("cgroup v2 (" + spaced.resolve("unified") + ")");
  }

  @Test
  void leftoversAreListedByPrefixAcrossTheV1HierarchiesAndOnlyNamesHearthMakesAreRemoved()
      throws Exception {
    Path memory = Files.createDirectories(dir.resolve("memory/hearth/build-a1b2-base"));
    Files.createDirectories(dir.resolve("pids/hearth/build-a1b2-other"));
    Files.createDirectories(dir.resolve("pids/hearth/vm-1234"));
    Files.writeString(dir.resolve("pids/hearth/build-a1b2-file"), "not a group");
    LinuxCgroups cgroups =
        detect(
            "31 25 0:27 / "
                + dir.resolve("memory")
                + " rw - cgroup cgroup rw,memory\n"
                + "32 25 0:28 / "
                + dir.resolve("pids")
                + " rw - cgroup cgroup rw,pids\n");

    assertThat(cgroups.existing("build-a1b2-"))
        .containsExactly("build-a1b2-base", "build-a1b2-other");
    assertThat(cgroups.existing("build-ffff-")).isEmpty();
    assertThat(detect("").existing("build-")).isEmpty();

    cgroups.remove("build-a1b2-base"); // empty folders: nothing to kill
    assertThat(memory).doesNotExist();
    assertThat(cgroups.existing("build-a1b2-")).containsExactly("build-a1b2-other");
    assertThatThrownBy(() -> cgroups.remove("../memory")).hasMessageContaining("'../memory'");
  }

  @Test
  void badNamesAndLimitsAreRefusedNamingTheValue() throws Exception {
    LinuxCgroups cgroups = detect("");
    assertThatThrownBy(() -> cgroups.create("../etc", LIMITS)).hasMessageContaining("'../etc'");
    assertThatThrownBy(
            () ->
                new CgroupLimits(OptionalLong.of(10), OptionalLong.empty(), OptionalDouble.empty()))
        .hasMessageContaining("got 10");
    assertThatThrownBy(
            () ->
                new CgroupLimits(OptionalLong.empty(), OptionalLong.of(0), OptionalDouble.empty()))
        .hasMessageContaining("got 0");
  }

  @Test
  void v2GroupsAreListedAndRemovedByName() throws Exception {
    Path root = v2Root("memory pids cpu");
    LinuxCgroups cgroups = detect("30 1 0:26 / " + root + " rw - cgroup2 cgroup2 rw\n");
    cgroups.create("vm-0a1b", LIMITS);
    cgroups.create("build-base", LIMITS);
    // On a real cgroup file system the kernel makes cgroup.procs; here the folder is empty.
    Files.list(root.resolve("hearth/vm-0a1b")).forEach(p -> p.toFile().delete());

    assertThat(cgroups.existing("")).containsExactly("build-base", "vm-0a1b");
    cgroups.remove("vm-0a1b");
    cgroups.remove("vm-gone");

    assertThat(cgroups.existing("")).containsExactly("build-base");
    assertThat(root.resolve("hearth/vm-0a1b")).doesNotExist();
  }

  @Test
  void v1GroupsGetTheV1FilesAndAreListedAndRemovedInEveryHierarchy() throws Exception {
    Path memory = Files.createDirectories(dir.resolve("memory"));
    Path pids = Files.createDirectories(dir.resolve("pids"));
    Path cpu = Files.createDirectories(dir.resolve("cpu"));
    LinuxCgroups cgroups =
        detect(
            "31 25 0:27 / "
                + memory
                + " rw - cgroup cgroup rw,memory\n"
                + "32 25 0:28 / "
                + pids
                + " rw - cgroup cgroup rw,pids\n"
                + "33 25 0:29 / "
                + cpu
                + " rw - cgroup cgroup rw,cpu\n");
    assertThat(cgroups.existing("")).isEmpty();

    Cgroup group = cgroups.create("vm-0a1b", LIMITS);

    assertThat(group.describe()).isEqualTo("v1:/hearth/vm-0a1b");
    assertThat(group.procsFiles())
        .containsExactly(
            memory.resolve("hearth/vm-0a1b/cgroup.procs"),
            pids.resolve("hearth/vm-0a1b/cgroup.procs"),
            cpu.resolve("hearth/vm-0a1b/cgroup.procs"));
    assertThat(Files.readString(memory.resolve("hearth/vm-0a1b/memory.limit_in_bytes")))
        .isEqualTo("536870912");
    assertThat(Files.readString(pids.resolve("hearth/vm-0a1b/pids.max"))).isEqualTo("64");
    assertThat(Files.readString(cpu.resolve("hearth/vm-0a1b/cpu.cfs_quota_us")))
        .isEqualTo("150000");
    assertThat(Files.readString(cpu.resolve("hearth/vm-0a1b/cpu.cfs_period_us")))
        .isEqualTo("100000");
    assertThat(cgroups.existing("")).containsExactly("vm-0a1b");

    for (Path mount : List.of(memory, pids, cpu)) {
      try (var files = Files.list(mount.resolve("hearth/vm-0a1b"))) {
        files.forEach(p -> p.toFile().delete());
      }
    }
    cgroups.remove("vm-0a1b");
    assertThat(cgroups.existing("")).isEmpty();
    for (Path mount : List.of(memory, pids, cpu)) {
      assertThat(mount.resolve("hearth/vm-0a1b")).doesNotExist();
    }
  }

  @Test
  void limitsReadForPeople() {
    assertThat(LIMITS.describe()).isEqualTo("memory 512 MiB, 64 processes, 1.5 CPUs");
    assertThat(
            new CgroupLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalDouble.of(2))
                .describe())
        .isEqualTo("2 CPUs");
    assertThat(
            new CgroupLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalDouble.empty())
                .describe())
        .isEqualTo("unlimited");
  }
}
