package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Cgroup;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Config;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import dev.hearth.core.ShellQuote;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildScriptTest {
  private static final String HOSTILE = "it's \"$(id)\" `id` $HOME\nnew line é 漢";

  @TempDir Path dir;

  private static BuildSpec spec(List<String> packages, Optional<String> run, boolean distroKernel) {
    return new BuildSpec(
        BuildSpec.DEFAULT_FROM,
        packages,
        run,
        1L << 30,
        distroKernel,
        Optional.of("ssh-ed25519 AAAAC3Nza hearth@host"),
        BuildSpec.DEFAULT_MIRROR);
  }

  private BuildScript generate(BuildSpec spec) {
    return BuildScript.generate(
        spec, dir.resolve("out"), dir.resolve("work"), dir.resolve("cache"));
  }

  @Test
  void theImportantLinesAreThere() {
    String text = generate(spec(List.of("curl", "jq"), Optional.empty(), true)).text();

    assertThat(text)
        .startsWith("#!/bin/sh\n")
        .contains("set -eu\n")
        .contains(
            "INCLUDE='systemd-sysv,udev,openssh-server,iproute2,git,tar,coreutils,util-linux,"
                + "procps,ca-certificates,linux-image-amd64,initramfs-tools,busybox-static,curl,"
                + "jq'\n")
        .contains("SUITE='bookworm'\n")
        .contains("SIZE='1073741824'\n")
        .contains("AUTHORIZED_KEY='ssh-ed25519 AAAAC3Nza hearth@host'\n")
        .contains(
            "debootstrap --variant=minbase --arch=amd64 --components=main"
                + " --include=\"$INCLUDE\"")
        .contains("  unshare --net -- chroot \"$TREE\" /usr/bin/env -i")
        .contains("PasswordAuthentication no\n")
        .contains("PermitRootLogin prohibit-password\n")
        .contains("in_chroot passwd --lock root\n")
        .contains("install -d -m 0755 \"$TREE/workspace\"")
        .contains("read -r cmdline < /proc/cmdline\nfor word in $cmdline; do")
        .contains("done < /etc/hearth/network.env")
        .contains("HEARTH_IP) address=$value ;;")
        .contains("HEARTH_HOSTNAME) name=$value ;;")
        .contains("route=\"route replace default via $gateway dev $iface\"")
        .contains("ip -batch - <<IP_EOF\n")
        .contains("echo 1 > \"/proc/sys/net/ipv4/conf/$iface/arp_notify\"")
        .contains("printf 'nameserver %s\\n' \"$dns\"\n")
        .contains("echo \"$name\" > /etc/hostname")
        .contains("in_chroot systemctl enable hearth-network.service hearth-ssh-host-key.service\n")
        .contains("in_chroot systemctl enable ssh.socket\n")
        .contains("in_chroot systemctl enable serial-getty@ttyS0.service\n")
        .contains("apt-daily.timer", "getty@tty1.service", "systemd-pstore.service")
        .contains("systemd-binfmt.service", "proc-sys-fs-binfmt_misc.automount")
        .contains("INITRD_MODULES='virtio_mmio virtio_blk virtio_net ext4'\n")
        .contains("modprobe -S \"$KVER\" -a --show-depends $INITRD_MODULES")
        .contains("busybox cpio -o -H newc -R 0:0")
        .contains("exec switch_root /root \"$init\" \"$@\"")
        .doesNotContain("update-initramfs")
        .contains("mkfs.ext4 -q -F -L hearth-root -d \"$TREE\" \"$ROOTFS\"\n")
        .contains("ROOTFS=\"$OUT\"/'rootfs.ext4'\n")
        .contains("trap cleanup EXIT\n")
        .contains("umount -l \"$TREE/$point\"")
        .contains("mount -t proc proc \"$TREE/proc\"")
        // Issue 12: never the host's /dev nor /sys; the --run script only through the sandbox.
        .doesNotContain("sysfs")
        .doesNotContain("mount --bind /dev")
        .contains("dev) sh \"$SANDBOX\" make-dev \"$TREE/dev\" ;;")
        .contains("sh \"$SANDBOX\" \"$TREE\" \"$RUN_NETWORK\" /bin/sh /root/hearth-run\n")
        .doesNotContain("in_chroot /bin/sh /root/hearth-run")
        .contains("rm -rf --one-file-system \"$TREE\"")
        .doesNotContainPattern("@[A-Z_]+@");
  }

  @Test
  void theImageKeepsNoHostKeyAndItsSshdNeedsNoCheckAtBoot() {
    String text = generate(spec(List.of(), Optional.empty(), true)).text();

    // sshd reads the one key hearth writes per VM; the build's keys are deleted.
    assertThat(text).contains("HostKey /etc/ssh/ssh_host_ed25519_key\n");
    String slim = text.substring(text.indexOf("stage slim\n"), text.indexOf("stage mkfs\n"));
    // Checked with a throwaway key (after --run, which comes before slim), then keys removed.
    assertThat(slim)
        .contains("in_chroot ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key\n")
        .contains("in_chroot /usr/sbin/sshd -t\n");
    assertThat(slim.lastIndexOf("rm -f \"$TREE\"/etc/ssh/ssh_host_*\n"))
        .isGreaterThan(slim.indexOf("in_chroot /usr/sbin/sshd -t\n"));
    // ssh.service's own `sshd -t` is dropped, and a guest given no key makes one.
    assertThat(text)
        .contains(
            "cat > \"$TREE/etc/systemd/system/ssh.service.d/hearth.conf\" <<'HEARTH_EOF'\n"
                + "[Service]\nExecStartPre=\nHEARTH_EOF\n")
        .contains("ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n")
        .contains(
            "ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N \"\" -f"
                + " /etc/ssh/ssh_host_ed25519_key\n")
        .contains(
            "in_chroot systemctl enable hearth-network.service hearth-ssh-host-key.service\n");
  }

  @Test
  void unitsAMicroVmDoesNotNeedAreMasked() {
    String text = generate(spec(List.of(), Optional.empty(), true)).text();
    String mask = text.substring(text.indexOf("in_chroot systemctl mask "));
    mask = mask.substring(0, mask.indexOf("\n\n"));

    assertThat(mask.split("[\\s\\\\]+"))
        .contains(
            "apt-daily.timer",
            "e2scrub_all.timer",
            "e2scrub_reap.service",
            "getty@tty1.service",
            "getty-static.service",
            "systemd-pstore.service",
            "systemd-binfmt.service")
        .doesNotContain("ssh.service", "ssh.socket", "serial-getty@ttyS0.service");
  }

  @Test
  void withoutTheDistroKernelNoKernelPackageIsInstalled() {
    String text = generate(spec(List.of(), Optional.empty(), false)).text();

    assertThat(text).contains("DISTRO_KERNEL='no'").doesNotContain("linux-image-amd64,");
  }

  @Test
  void theCacheKeyCoversTheScriptButNotThePerBuildPathsNorTheDaemonsKey() throws Exception {
    BuildSpec spec = spec(List.of("curl"), Optional.of("echo a\n"), true);
    BuildScript a = generate(spec);
    BuildScript b =
        BuildScript.generate(
            new BuildSpec(
                spec.from(),
                spec.packages(),
                Optional.of("echo b\n"),
                spec.sizeBytes(),
                true,
                Optional.of("ssh-ed25519 AAAAC3NzaOTHER other-daemon@host"),
                spec.mirror()),
            Path.of("/other/out"),
            Path.of("/other/work"),
            dir.resolve("cache"));
    BuildScript moreSoftware = generate(spec(List.of("curl", "jq"), Optional.empty(), true));

    assertThat(a.text()).isNotEqualTo(b.text());
    assertThat(a.cacheKey()).isEqualTo(b.cacheKey()).matches("[0-9a-f]{64}");
    assertThat(moreSoftware.cacheKey()).isNotEqualTo(a.cacheKey());
    assertThat(a.cacheDir()).isEqualTo(dir.resolve("cache").resolve(a.cacheKey()));
    assertThat(a.text()).contains("CACHE=" + ShellQuote.quote(a.cacheDir().toString()) + "\n");
    // The key is the sha256 of everything after the RUN_FILE line that ends the header.
    String body = a.text().substring(a.text().indexOf('\n', a.text().indexOf("RUN_FILE=")) + 1);
    String sha256 =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8)));
    assertThat(a.cacheKey()).isEqualTo(sha256);
  }

  @Test
  @RequiresBinary("sh")
  void theScriptParsesWithHostilePathsAndValuesAndKeepsThemExact() throws Exception {
    Path out = dir.resolve("out " + HOSTILE);
    Path work = dir.resolve("work 'x'");
    BuildSpec spec = spec(List.of("curl"), Optional.of("touch pwned\n"), true);
    Path run = work.resolve(BuildScript.RUN_SCRIPT_FILE);
    BuildScript script = BuildScript.generate(spec, out, work, dir.resolve("cache `x`"));
    Path file = dir.resolve("build.sh");
    Files.writeString(file, script.text(), StandardCharsets.UTF_8);
    Runner runner = TestFiles.realRunner();

    runner.check(Command.of("sh", "-n", file.toString()));

    // The header alone, followed by printing its variables, shows what the shell sees.
    String header = script.text().substring(0, script.text().indexOf("SUITE="));
    Path probe = dir.resolve("probe.sh");
    Files.writeString(
        probe,
        header + "printf '%s\\0' \"$OUT\" \"$WORK\" \"$RUN_FILE\"\n",
        StandardCharsets.UTF_8);
    CommandResult result = runner.check(Command.of("sh", probe.toString()));
    assertThat(new String(result.stdoutBytes(), StandardCharsets.UTF_8).split("\0"))
        .containsExactly(out.toString(), work.toString(), run.toString());
    assertThat(dir.resolve("pwned")).doesNotExist();
  }

  @Test
  @RequiresBinary("sh")
  void theGuestNetworkScriptParses() throws Exception {
    String text = generate(spec(List.of(), Optional.empty(), true)).text();
    String start = "cat > \"$TREE/usr/local/sbin/hearth-network\" <<'HEARTH_EOF'\n";
    int from = text.indexOf(start) + start.length();
    String guestScript = text.substring(from, text.indexOf("HEARTH_EOF\n", from));
    Path file =
        TestFiles.write(
            dir.resolve("hearth-network"), guestScript.getBytes(StandardCharsets.UTF_8));

    assertThat(guestScript).startsWith("#!/bin/sh\n").contains("addr replace $address/");
    TestFiles.realRunner().check(Command.of("sh", "-n", file.toString()));
  }

  /**
   * At boot the guest network script points resolv.conf at the name server of {@code ip=} and keeps
   * the search list the identity stage wrote (the VMs' domain: bare VM names resolve). Run in mount
   * and network namespaces of its own, with the command line and resolv.conf bind-mounted over.
   */
  @Test
  @RequiresRoot
  @RequiresBinary({"sh", "unshare", "mount", "ip"})
  void theGuestNetworkScriptKeepsTheSearchListOfTheIdentity() throws Exception {
    String text = generate(spec(List.of(), Optional.empty(), true)).text();
    String start = "cat > \"$TREE/usr/local/sbin/hearth-network\" <<'HEARTH_EOF'\n";
    int from = text.indexOf(start) + start.length();
    Path script =
        TestFiles.write(
            dir.resolve("hearth-network"),
            text.substring(from, text.indexOf("HEARTH_EOF\n", from))
                .getBytes(StandardCharsets.UTF_8));
    // No hostname (the host's would change), lo as the device (it exists in any namespace).
    Path cmdline =
        TestFiles.write(
            dir.resolve("cmdline"),
            "console=ttyS0 ip=10.1.1.2::10.1.1.1:255.255.255.0::lo:off:10.1.1.1\n"
                .getBytes(StandardCharsets.UTF_8));
    Path resolv =
        TestFiles.write(
            dir.resolve("resolv.conf"),
            "nameserver 10.9.9.9\nsearch hearth.internal\n".getBytes(StandardCharsets.UTF_8));

    TestFiles.realRunner()
        .check(
            Command.of(
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--net",
                "sh",
                "-c",
                "mount --bind \"$1\" /proc/cmdline && mount --bind \"$2\" /etc/resolv.conf"
                    + " && sh \"$3\"",
                "sh",
                cmdline.toString(),
                resolv.toString(),
                script.toString()));

    assertThat(Files.readString(resolv)).isEqualTo("nameserver 10.1.1.1\nsearch hearth.internal\n");
  }

  @Test
  @RequiresBinary("sh")
  void theInitrdInitParsesAndMountsWhatTheCommandLineSays() throws Exception {
    String text = generate(spec(List.of(), Optional.empty(), true)).text();
    String start = "cat > \"$IRD/init\" <<'HEARTH_EOF'\n";
    int from = text.indexOf(start) + start.length();
    String init = text.substring(from, text.indexOf("HEARTH_EOF\n", from));
    Path file = TestFiles.write(dir.resolve("init"), init.getBytes(StandardCharsets.UTF_8));

    assertThat(init)
        .startsWith("#!/bin/sh\n")
        .contains("insmod \"/lib/modules/$module\"")
        .contains("root=*) root=${word#root=} ;;")
        .contains("rootflags=*) flags=,${word#rootflags=} ;;")
        .contains("init=*) init=${word#init=} ;;")
        .contains("mount -t \"$fstype\" -o \"$mode$flags\" \"$root\" /root");
    TestFiles.realRunner().check(Command.of("sh", "-n", file.toString()));
  }

  @Test
  void stageLinesAreRecognised() {
    assertThat(BuildScript.stageOf("hearth-stage: mkfs")).contains("mkfs");
    assertThat(BuildScript.stageOf("hearth-stage: nonsense")).isEmpty();
    assertThat(BuildScript.stageOf("I: Retrieving InRelease")).isEmpty();
    String text = generate(spec(List.of(), Optional.empty(), true)).text();
    for (String stage : BuildScript.STAGES) {
      assertThat(text).contains("stage " + stage + "\n");
    }
  }

  @Test
  void refusesUnusableOptions() {
    assertThatThrownBy(() -> spec(List.of("curl;reboot"), Optional.empty(), true))
        .isInstanceOf(InvalidBuildSpecException.class)
        .hasMessageContaining("'curl;reboot' is not a Debian package name");
    assertThatThrownBy(() -> spec(List.of("a,b"), Optional.empty(), true))
        .isInstanceOf(InvalidBuildSpecException.class);
    assertThatThrownBy(
            () ->
                new BuildSpec(
                    "ubuntu:jammy",
                    List.of(),
                    Optional.empty(),
                    1L << 30,
                    true,
                    Optional.empty(),
                    BuildSpec.DEFAULT_MIRROR))
        .hasMessageContaining("only debian:<suite> is supported");
    assertThatThrownBy(
            () ->
                new BuildSpec(
                    BuildSpec.DEFAULT_FROM,
                    List.of(),
                    Optional.empty(),
                    1 << 20,
                    true,
                    Optional.empty(),
                    BuildSpec.DEFAULT_MIRROR))
        .hasMessageContaining("too small");
    assertThatThrownBy(
            () ->
                new BuildSpec(
                    BuildSpec.DEFAULT_FROM,
                    List.of(),
                    Optional.empty(),
                    1L << 30,
                    true,
                    Optional.of("key\nsecond line"),
                    BuildSpec.DEFAULT_MIRROR))
        .hasMessageContaining("single line");
    assertThat(BuildSpec.defaults().suite()).isEqualTo("bookworm");
  }

  /**
   * Runs the real script, started as the builder starts it (its own mount and PID namespaces), as
   * far as it gets with a cached base tree that has no programs in it: it mounts /proc and the
   * private /dev in the tree, fails at its first chroot, and must leave no mount.
   */
  @Test
  @RequiresRoot
  @RequiresBinary({"sh", "tar", "mount", "umount", "mountpoint", "chroot", "unshare", "setpriv"})
  void aFailedBuildLeavesNoMountBehind() throws Exception {
    Path base = dir.resolve("base");
    for (String d : List.of("etc", "usr/sbin", "proc", "sys", "dev", "root", "tmp")) {
      Files.createDirectories(base.resolve(d));
    }

    CommandResult result = buildFromCachedTree(base, List.of());

    assertThat(result.exitCode()).as(result.stderr()).isNotZero();
    assertThat(result.stdout())
        .contains("hearth-stage: debootstrap\n")
        .contains("using the cached base tree")
        .contains("hearth-stage: configure\n")
        .doesNotContain("hearth-stage: mkfs");
    assertThat(result.stderr())
        .contains("hearth: image build failed")
        .contains("/usr/bin/env"); // the first chroot, which comes after the mounts
    assertThat(Files.readString(Path.of("/proc/self/mountinfo")))
        .doesNotContain(dir.resolve("work/tree").toString());
    // The script got as far as configuring the tree (with its mounts in place) before the chroot.
    assertThat(dir.resolve("work/tree/etc/ssh/sshd_config.d/hearth.conf")).exists();
    assertThat(dir.resolve("work/tree/proc/self")).doesNotExist();
  }

  /**
   * The stages after debootstrap run the tree's programs; they must not reach any network. The
   * cached tree's {@code passwd} (the first program the configure stage runs) records the network
   * interfaces it sees and fails the build.
   */
  @Test
  @RequiresRoot
  @RequiresBinary({"sh", "tar", "mount", "umount", "mountpoint", "chroot", "unshare", "setpriv"})
  void theTreesProgramsRunWithoutTheHostsNetworkInsideTheBuildsCgroup() throws Exception {
    Path base = dir.resolve("base");
    for (String d : List.of("etc", "usr/sbin", "proc", "sys", "dev", "root", "tmp")) {
      Files.createDirectories(base.resolve(d));
    }
    for (String program : List.of("/usr/bin/env", "/bin/sh", "/bin/cat")) {
      copyWithLibraries(Path.of(program), base);
    }
    Path passwd = base.resolve("usr/sbin/passwd");
    Files.writeString(
        passwd,
        "#!/bin/sh\ncat /proc/net/dev > /root/interfaces\n"
            + "cat /proc/self/cgroup > /root/cgroups\nexit 3\n");
    Files.setPosixFilePermissions(passwd, PosixFilePermissions.fromString("rwxr-xr-x"));
    Cgroups cgroups = Cgroups.system(Posix.system(), Clock.system());
    CommandResult result;
    String groupName = "build-test-" + ProcessHandle.current().pid();
    try (Cgroup group = cgroups.create(groupName, Config.defaults().buildLimits())) {
      result = buildFromCachedTree(base, group.procsFiles());
    }

    assertThat(result.exitCode()).as(result.stderr()).isNotZero();
    Path seen = dir.resolve("work/tree/root/interfaces");
    assertThat(seen).as("the tree's passwd ran: %s", result.stderr()).exists();
    List<String> interfaces =
        Files.readAllLines(seen).stream()
            .skip(2) // the two header lines of /proc/net/dev
            .map(line -> line.substring(0, line.indexOf(':')).strip())
            .toList();
    assertThat(interfaces).containsExactly("lo");
    assertThat(Files.readString(dir.resolve("work/tree/root/cgroups")))
        .as("the build's processes are in its cgroup (%s)", cgroups.describe())
        .contains(":/hearth/" + groupName + "\n");
  }

  /**
   * Runs the real script as the builder starts it, on a cached base tree made from {@code base}.
   */
  private CommandResult buildFromCachedTree(Path base, List<Path> cgroupProcs) throws Exception {
    Runner runner = TestFiles.realRunner();
    Path out = Files.createDirectories(dir.resolve("out"));
    Path work = Files.createDirectories(dir.resolve("work"));
    BuildScript script =
        BuildScript.generate(spec(List.of(), Optional.empty(), true), out, work, dir.resolve("c"));
    Files.createDirectories(script.cacheDir());
    runner.check(
        Command.of(
            "tar",
            "-c",
            "-f",
            script.cacheDir().resolve("tree.tar").toString(),
            "-C",
            base.toString(),
            "."));
    Path file = work.resolve("build.sh");
    Files.writeString(file, script.text(), StandardCharsets.UTF_8);
    Files.writeString(
        work.resolve(BuildScript.SANDBOX_FILE), BuildScript.sandbox(), StandardCharsets.UTF_8);
    return runner.run(
        Command.builder("sh").args(ImageBuilder.wrapperArgs(file, cgroupProcs)).build());
  }

  /**
   * Copies a host program and the shared libraries {@code ldd} names into the same paths under
   * {@code root}.
   */
  private static void copyWithLibraries(Path program, Path root) throws Exception {
    CommandResult ldd = TestFiles.realRunner().check(Command.of("ldd", program.toString()));
    List<Path> files = new ArrayList<>(List.of(program.toRealPath()));
    Matcher paths = Pattern.compile("(/\\S+)").matcher(ldd.stdout());
    while (paths.find()) {
      files.add(Path.of(paths.group(1)));
    }
    for (Path file : files) {
      Path target = root.resolve(file.toString().substring(1));
      Files.createDirectories(target.getParent());
      Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    // The program may be reached through a merged-/usr symlink (/bin -> usr/bin).
    Path asNamed = root.resolve(program.toString().substring(1));
    if (!Files.exists(asNamed)) {
      Files.createDirectories(asNamed.getParent());
      Files.copy(program, asNamed);
    }
  }
}
