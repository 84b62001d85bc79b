package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The host's own cgroups (v1 on these machines, v2 elsewhere): limits hold and close cleans up. */
@RequiresRoot
@RequiresBinary({"sh", "sleep"})
class CgroupsHostTest {
  private final Cgroups cgroups = Cgroups.system(Posix.system(), Clock.system());
  private final String name = "test-" + ProcessHandle.current().pid();
  private Cgroup group;

  @AfterEach
  void removeTheGroup() {
    if (group != null) {
      group.close();
    }
  }

  @Test
  void aForkBombStopsAtTheProcessLimitAndCloseKillsWhatRunsAndRemovesTheGroup() throws Exception {
    assertThat(cgroups.available()).as(cgroups.describe()).isTrue();
    group =
        cgroups.create(
            name,
            new CgroupLimits(
                OptionalLong.of(256L << 20), OptionalLong.of(8), OptionalDouble.of(0.5)));
    // The shell joins the group, then starts 20 sleepers: the kernel refuses forks past pids.max.
    StringBuilder join = new StringBuilder();
    for (Path procs : group.procsFiles()) {
      join.append("echo $$ > '").append(procs).append("' || exit 9; ");
    }
    Process shell =
        new ProcessBuilder(
                "sh",
                "-c",
                join
                    + "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20;"
                    + " do sleep 600 & done; wait")
            .redirectErrorStream(true)
            .start();
    try {
      Path events = pidsFolder(group).resolve("pids.events");
      Await.until(
          "a fork refused by pids.max (" + events + ")",
          () -> !Files.readString(events).contains("max 0"));
      assertThat(count(pidsFolder(group).resolve("cgroup.procs")))
          .as("processes in the group")
          .isBetween(1L, 8L);

      List<Path> folders = group.procsFiles().stream().map(Path::getParent).toList();
      group.close();
      group = null;

      assertThat(shell.waitFor(30, TimeUnit.SECONDS)).as("the shell killed by close").isTrue();
      assertThat(folders).allSatisfy(folder -> assertThat(folder).doesNotExist());
    } finally {
      shell.destroyForcibly();
    }
  }

  @Test
  void theLimitsAreWhereTheKernelReadsThem() throws Exception {
    group =
        cgroups.create(
            name,
            new CgroupLimits(
                OptionalLong.of(256L << 20), OptionalLong.of(100), OptionalDouble.of(1.5)));
    String text = String.join("\n", readAll(group));
    assertThat(text).contains("268435456").contains("100").contains("150000");
  }

  @Test
  void aGroupAnEarlierRunLeftIsListedByItsPrefixAndRemovedWithWhatRunsInIt() throws Exception {
    group =
        cgroups.create(
            name,
            new CgroupLimits(OptionalLong.empty(), OptionalLong.of(16), OptionalDouble.empty()));
    StringBuilder join = new StringBuilder();
    for (Path procs : group.procsFiles()) {
      join.append("echo $$ > '").append(procs).append("' || exit 9; ");
    }
    Process left = new ProcessBuilder("sh", "-c", join + "exec sleep 600").start();
    try {
      Path procs = group.procsFiles().get(0);
      Await.until("the sleeper to join " + procs, () -> count(procs) == 1);
      List<Path> folders = group.procsFiles().stream().map(Path::getParent).toList();
      // As the next daemon sees it: another Cgroups, and no Cgroup handle.
      Cgroups next = Cgroups.system(Posix.system(), Clock.system());
      assertThat(next.existing(name.substring(0, 5))).contains(name);
      assertThat(next.existing(name + "-not")).isEmpty();

      next.remove(name);
      group = null;

      assertThat(left.waitFor(30, TimeUnit.SECONDS)).as("the sleeper killed by remove").isTrue();
      assertThat(folders).allSatisfy(folder -> assertThat(folder).doesNotExist());
      assertThat(next.existing(name)).isEmpty();
      next.remove(name); // gone already: fine
    } finally {
      left.destroyForcibly();
    }
  }

  /** The folder that has the pids controller's files (the group's only one on v2). */
  private static Path pidsFolder(Cgroup group) {
    return group.procsFiles().stream()
        .map(Path::getParent)
        .filter(folder -> Files.exists(folder.resolve("pids.max")))
        .findFirst()
        .orElseThrow();
  }

  private static long count(Path procs) {
    try {
      return Files.readAllLines(procs).stream().filter(l -> !l.isBlank()).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The limit files of every hierarchy the group spans. */
  private static List<String> readAll(Cgroup group) throws Exception {
    List<String> values = new ArrayList<>();
    for (Path procs : group.procsFiles()) {
      Path folder = procs.getParent();
      for (String file :
          List.of(
              "memory.max", "memory.limit_in_bytes", "pids.max", "cpu.max", "cpu.cfs_quota_us")) {
        if (Files.exists(folder.resolve(file))) {
          values.add(file + "=" + Files.readString(folder.resolve(file)).strip());
        }
      }
    }
    return values;
  }
}
