package dev.hearth.fcproc.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.FcprocException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A VM's jail: its layout, the files hearth puts in, and its removal. */
class JailerTest {
  static final Path FIRECRACKER = Path.of("/usr/local/bin/firecracker");
  static final Path JAILER = Path.of("/usr/local/bin/jailer");

  @TempDir Path dir;
  final Posix posix = Posix.system();
  final FakeRunner runner = new FakeRunner();

  Path mountinfo(String... lines) throws Exception {
    return Files.write(dir.resolve("mountinfo"), List.of(lines));
  }

  Jailer jailer(Path base, Path mountinfo, UserLookup users) {
    return new Jailer(
        base, "hearth-vm", users, runner, new Mounts(mountinfo), posix.geteuid(), posix.getgid());
  }

  /**
   * vm_user: as root, a uid that owns nothing; else the test's own user (the only one it may give
   * files to).
   */
  UserLookup me() {
    return testUser(posix);
  }

  static UserLookup testUser(Posix posix) {
    boolean root = posix.geteuid() == 0;
    return name ->
        Optional.of(
            new VmUser(name, root ? 64123 : posix.geteuid(), root ? 64124 : posix.getgid()));
  }

  static int uid(Path p) throws Exception {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void jailLayoutHardLinksAndRemoval() throws Exception {
    Path base = dir.resolve("jailer");
    Jailer jailer = jailer(base, mountinfo(), me());
    Path kernel = Files.writeString(dir.resolve("vmlinux"), "kernel");
    Files.setPosixFilePermissions(kernel, PosixFilePermissions.fromString("rw-------"));
    Path disk = Files.writeString(dir.resolve("rootfs.ext4"), "disk");

    JailedVm jail = jailer.prepare(JAILER, FIRECRACKER, "vm-1", Jailer.limits(1, 256));
    Path root = base.resolve("firecracker/vm-1/root");
    assertThat(jail.chroot().root()).isEqualTo(root);
    assertThat(jail.chroot().apiSocket()).isEqualTo(root.resolve("run/firecracker.socket"));
    assertThat(jail.command().chrootBase()).isEqualTo(base);
    assertThat(jail.command().execFile()).isEqualTo(FIRECRACKER);

    assertThat(jail.share("vmlinux", kernel)).isEqualTo(Path.of("/vmlinux"));
    assertThat(jail.give("rootfs", disk)).isEqualTo(Path.of("/rootfs"));
    assertThat(Files.isSameFile(root.resolve("vmlinux"), kernel)).as("a hard link").isTrue();
    assertThat(Files.isSameFile(root.resolve("rootfs"), disk)).isTrue();
    assertThat(Files.getPosixFilePermissions(kernel)).contains(PosixFilePermission.OTHERS_READ);
    assertThat(runner.commands()).as("no mount for same-filesystem files").isEmpty();
    assertThat(jailer.jailedIds()).containsExactly("vm-1");
    assertThat(jailer.apiSocket("vm-1")).contains(jail.chroot().apiSocket());

    jailer.remove("vm-1", List.of(disk));
    assertThat(base.resolve("firecracker/vm-1")).doesNotExist();
    assertThat(kernel).hasContent("kernel");
    assertThat(disk).hasContent("disk");
    assertThat(jailer.jailedIds()).isEmpty();
    assertThat(jailer.apiSocket("vm-1")).isEmpty();
  }

  @Test
  @RequiresRoot
  void givenFilesBelongToTheVmUserUntilTheJailIsRemoved() throws Exception {
    Path base = dir.resolve("jailer");
    Jailer jailer = jailer(base, mountinfo(), name -> Optional.of(new VmUser(name, 64123, 64124)));
    Path disk = Files.writeString(dir.resolve("rootfs.ext4"), "disk");
    Path kernel = Files.writeString(dir.resolve("vmlinux"), "kernel");

    JailedVm jail = jailer.prepare(JAILER, FIRECRACKER, "vm-2", Jailer.limits(1, 256));
    jail.give("rootfs", disk);
    jail.share("vmlinux", kernel);
    assertThat(uid(disk)).isEqualTo(64123);
    assertThat(uid(kernel)).as("shared files keep their owner").isEqualTo(0);
    assertThat(uid(jail.chroot().apiSocket().getParent())).isEqualTo(64123);
    assertThat(jail.command().uid()).isEqualTo(64123);
    assertThat(jail.command().gid()).isEqualTo(64124);

    jailer.remove("vm-2", List.of(disk));
    assertThat(uid(disk)).as("given back").isEqualTo(0);
  }

  @Test
  void filesOnAnotherFilesystemAreBindMountedAndUnmountedFirst() throws Exception {
    Path base = dir.resolve("jailer");
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "hearth-jailer-test");
    try {
      Path disk = Files.writeString(shm.resolve("disk"), "disk");
      Path root = base.resolve("firecracker/vm-3/root");
      Jailer jailer =
          jailer(
              base,
              mountinfo(
                  "1 0 8:1 / / rw - ext4 /dev/vda rw",
                  "90 1 0:50 /disk " + root.resolve("rootfs") + " rw - tmpfs tmpfs rw"),
              me());
      JailedVm jail = jailer.prepare(JAILER, FIRECRACKER, "vm-3", Jailer.limits(1, 256));
      assertThat(jail.give("rootfs", disk)).isEqualTo(Path.of("/rootfs"));
      assertThat(root.resolve("rootfs")).exists().isEmptyFile();
      jailer.remove("vm-3", List.of());
      assertThat(runner.argvs())
          .containsExactly(
              List.of("mount", "--bind", disk.toString(), root.resolve("rootfs").toString()),
              List.of("umount", root.resolve("rootfs").toString()));
      assertThat(base.resolve("firecracker/vm-3")).doesNotExist();
    } finally {
      Files.walk(shm).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @RequiresRoot
  void realBindMountIsGoneAfterRemoval() throws Exception {
    Path base = dir.resolve("jailer");
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "hearth-jailer-test");
    ProcessRunner real = new ProcessRunner(posix, Clock.system());
    Jailer jailer =
        new Jailer(base, "hearth-vm", me(), real, Mounts.system(), posix.geteuid(), posix.getgid());
    try {
      Path disk = Files.writeString(shm.resolve("disk"), "disk");
      JailedVm jail = jailer.prepare(JAILER, FIRECRACKER, "vm-4", Jailer.limits(1, 256));
      jail.give("rootfs", disk);
      Path inJail = jail.chroot().root().resolve("rootfs");
      assertThat(inJail).hasContent("disk");
      assertThat(Mounts.system().under(base)).containsExactly(inJail);

      jailer.remove("vm-4", List.of(disk));
      assertThat(Mounts.system().under(base)).isEmpty();
      assertThat(base.resolve("firecracker/vm-4")).doesNotExist();
      assertThat(disk).hasContent("disk");
    } finally {
      for (Path p : Mounts.system().under(base)) {
        real.run(Command.of("umount", "-l", p.toString()));
      }
      Files.walk(shm).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void anOldJailOfTheSameIdIsRemovedFirst() throws Exception {
    Path base = dir.resolve("jailer");
    Jailer jailer = jailer(base, mountinfo(), me());
    Path stale = Files.createDirectories(base.resolve("firecracker/vm-5/root/dev/net"));
    Files.writeString(stale.resolve("tun"), "");
    jailer.prepare(JAILER, FIRECRACKER, "vm-5", Jailer.limits(1, 256));
    assertThat(stale).doesNotExist();
    assertThat(base.resolve("firecracker/vm-5/root/run")).isDirectory();
  }

  @Test
  void vmUserMustExistAndNotBeRoot() throws Exception {
    Path base = dir.resolve("jailer");
    assertThatThrownBy(
            () ->
                jailer(base, mountinfo(), name -> Optional.empty())
                    .prepare(JAILER, FIRECRACKER, "vm-6", Jailer.limits(1, 256)))
        .isInstanceOf(FcprocException.class)
        .hasMessageContaining("vm_user 'hearth-vm' does not exist")
        .hasMessageContaining("useradd");
    assertThatThrownBy(
            () ->
                jailer(base, mountinfo(), name -> Optional.of(new VmUser(name, 0, 0)))
                    .prepare(JAILER, FIRECRACKER, "vm-6", Jailer.limits(1, 256)))
        .hasMessageContaining("would run firecracker as root");
    assertThat(base.resolve("firecracker/vm-6")).doesNotExist();
  }

  @Test
  void cgroupVersionFromTheMounts() throws Exception {
    Path unified = Files.createDirectories(dir.resolve("unified"));
    Files.writeString(unified.resolve("cgroup.controllers"), "");
    String v1 =
        String.join(
            "\n",
            "31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu",
            "34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
            "38 30 0:35 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids",
            "40 30 0:37 / " + unified + " rw - cgroup2 cgroup2 rw");
    Path base = dir.resolve("jailer");
    assertThat(jailer(base, mountinfo(v1), me()).cgroupVersion()).isEqualTo(OptionalInt.of(1));

    Files.writeString(unified.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
    assertThat(jailer(base, mountinfo(v1), me()).cgroupVersion()).isEqualTo(OptionalInt.of(2));

    assertThat(
            jailer(base, mountinfo("34 30 0:31 / /m rw - cgroup cgroup rw,memory"), me())
                .cgroupVersion())
        .isEmpty();
  }

  @Test
  void theJailersCgroupIsRemovedWithTheJail() throws Exception {
    Path memory = Files.createDirectories(dir.resolve("cg/memory"));
    Path group = Files.createDirectories(memory.resolve("hearth-jailer/vm-7"));
    Path base = dir.resolve("jailer");
    Jailer jailer =
        jailer(base, mountinfo("34 30 0:31 / " + memory + " rw - cgroup cgroup rw,memory"), me());
    jailer.prepare(JAILER, FIRECRACKER, "vm-7", Jailer.limits(1, 256));
    Files.createDirectories(group); // made by the jailer when firecracker started
    jailer.remove("vm-7", List.of());
    assertThat(group).doesNotExist();
  }
}
