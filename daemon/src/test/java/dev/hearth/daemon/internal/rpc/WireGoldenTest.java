package dev.hearth.daemon.internal.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.Image;
import dev.hearth.daemon.ImageBuildSpec;
import dev.hearth.daemon.ImageDetails;
import dev.hearth.daemon.ImageRegistration;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.OpError;
import dev.hearth.daemon.OpState;
import dev.hearth.daemon.Pty;
import dev.hearth.daemon.Session;
import dev.hearth.daemon.SessionEnd;
import dev.hearth.daemon.SessionList;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.SessionStart;
import dev.hearth.daemon.SessionStarted;
import dev.hearth.daemon.SessionState;
import dev.hearth.daemon.Vm;
import dev.hearth.daemon.VmDetails;
import dev.hearth.daemon.VmEgress;
import dev.hearth.daemon.VmSpec;
import dev.hearth.daemon.VmState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The exact bytes of every record the wire carries, as the daemon writes results and the remote
 * client writes params: what a raw client (socat, a few lines of Python) sees must not change when
 * the codecs do. Each shape is also read back to the same record where the client reads it.
 */
class WireGoldenTest {
  private static final Instant CREATED = Instant.parse("2026-12-05T01:02:03.456Z");
  private static final Instant FINISHED = Instant.parse("2026-12-05T01:02:09Z");

  private static Vm vm(boolean running) {
    return new Vm(
        "0123456789abcdef",
        "demo",
        running ? VmState.RUNNING : VmState.STOPPED,
        "10.77.0.2",
        "06:00:0a:4d:00:02",
        "htap0",
        "base",
        2,
        512,
        10_737_418_240L,
        "copy",
        CREATED,
        running ? OptionalLong.of(4242) : OptionalLong.empty(),
        running ? Optional.of("firecracker") : Optional.empty(),
        running ? Optional.empty() : Optional.of("the VMM exited"));
  }

  private static final String RUNNING_VM =
      "{\"id\":\"0123456789abcdef\",\"name\":\"demo\",\"state\":\"running\",\"ip\":\"10.77.0.2\","
          + "\"mac\":\"06:00:0a:4d:00:02\",\"tap\":\"htap0\",\"image\":\"base\",\"vcpus\":2,"
          + "\"memory_mib\":512,\"disk_size_bytes\":10737418240,\"provisioner\":\"copy\","
          + "\"created_at\":\"2026-12-05T01:02:03.456Z\",\"pid\":4242,\"vmm\":\"firecracker\"}";

  private static final String STOPPED_VM =
      "{\"id\":\"0123456789abcdef\",\"name\":\"demo\",\"state\":\"stopped\",\"ip\":\"10.77.0.2\","
          + "\"mac\":\"06:00:0a:4d:00:02\",\"tap\":\"htap0\",\"image\":\"base\",\"vcpus\":2,"
          + "\"memory_mib\":512,\"disk_size_bytes\":10737418240,\"provisioner\":\"copy\","
          + "\"created_at\":\"2026-12-05T01:02:03.456Z\",\"error\":\"the VMM exited\"}";

  private static Image image(boolean initrd) {
    return new Image(
        "base",
        Path.of("/var/lib/hearth/images/base/vmlinux"),
        Path.of("/var/lib/hearth/images/base/rootfs.ext4"),
        initrd ? Optional.of(Path.of("/var/lib/hearth/images/base/initrd.img")) : Optional.empty(),
        "console=ttyS0",
        2_147_483_648L,
        Map.of("vmlinux", "ab12"),
        CREATED);
  }

  private static final String IMAGE =
      "{\"name\":\"base\",\"kernel\":\"/var/lib/hearth/images/base/vmlinux\","
          + "\"rootfs\":\"/var/lib/hearth/images/base/rootfs.ext4\","
          + "\"boot_args\":\"console=ttyS0\",\"size_bytes\":2147483648,"
          + "\"sha256\":{\"vmlinux\":\"ab12\"},\"created_at\":\"2026-12-05T01:02:03.456Z\"}";

  private static Op op(boolean ended) {
    return new Op(
        "f00dfeed01234567",
        "vm.create",
        "demo",
        ended ? OpState.FAILED : OpState.RUNNING,
        "boot",
        ended ? OptionalInt.empty() : OptionalInt.of(40),
        List.of("reserved 10.77.0.2", "booting"),
        ended ? Optional.of(new OpError("boot", "the VMM exited")) : Optional.empty(),
        CREATED,
        ended ? Optional.of(FINISHED) : Optional.empty(),
        ended ? Optional.empty() : Optional.of("demo"));
  }

  private static Session session(boolean exited) {
    return new Session(
        "0123456789",
        exited ? Optional.empty() : Optional.of("reader"),
        exited ? SessionState.EXITED : SessionState.RUNNING,
        exited ? OptionalInt.of(3) : OptionalInt.empty(),
        CREATED,
        "sh -c 'read a'",
        List.of("sh", "-c", "read a"),
        exited ? Optional.empty() : Optional.of("/root"),
        exited ? Map.of() : Map.of("LANG", "C.UTF-8"));
  }

  private static final String RUNNING_SESSION =
      "{\"id\":\"0123456789\",\"name\":\"reader\",\"state\":\"running\",\"exit_code\":null,"
          + "\"started_at\":\"2026-12-05T01:02:03.456Z\",\"command\":\"sh -c 'read a'\","
          + "\"argv\":[\"sh\",\"-c\",\"read a\"],\"cwd\":\"/root\",\"env\":{\"LANG\":\"C.UTF-8\"}}";

  private static final String EXITED_SESSION =
      "{\"id\":\"0123456789\",\"name\":\"\",\"state\":\"exited\",\"exit_code\":3,"
          + "\"started_at\":\"2026-12-05T01:02:03.456Z\",\"command\":\"sh -c 'read a'\","
          + "\"argv\":[\"sh\",\"-c\",\"read a\"],\"cwd\":\"\",\"env\":{}}";

  private static JsonNode parse(String json) throws Exception {
    return dev.hearth.core.rpc.Wire.mapper().readTree(json);
  }

  @Test
  void vmResults() throws Exception {
    assertThat(ApiJson.vm(vm(true)).toString()).isEqualTo(RUNNING_VM);
    assertThat(ApiJson.vm(vm(false)).toString()).isEqualTo(STOPPED_VM);
    assertThat(ApiJson.vm(parse(RUNNING_VM))).isEqualTo(vm(true));
    assertThat(ApiJson.vm(parse(STOPPED_VM))).isEqualTo(vm(false));
    assertThat(ApiJson.vms(List.of(vm(true))).toString())
        .isEqualTo("{\"vms\":[" + RUNNING_VM + "]}");
    assertThat(ApiJson.vms(List.of()).toString()).isEqualTo("{\"vms\":[]}");

    VmDetails details =
        new VmDetails(
            vm(true),
            Path.of("/run/hearth/vms/0123/api.sock"),
            Path.of("/var/lib/hearth/vms/0123/console.log"),
            Optional.empty(),
            "console=ttyS0 ip=10.77.0.2",
            "allow:github.com,10.0.0.0/8");
    String shown =
        RUNNING_VM.substring(0, RUNNING_VM.length() - 1)
            + ",\"api_socket\":\"/run/hearth/vms/0123/api.sock\","
            + "\"console_log\":\"/var/lib/hearth/vms/0123/console.log\",\"root_disk\":\"\","
            + "\"boot_args\":\"console=ttyS0 ip=10.77.0.2\","
            + "\"egress\":\"allow:github.com,10.0.0.0/8\"}";
    assertThat(ApiJson.vmDetails(details).toString()).isEqualTo(shown);
    assertThat(ApiJson.vmDetails(parse(shown))).isEqualTo(details);
  }

  @Test
  void vmEgress() throws Exception {
    VmEgress egress =
        new VmEgress(
            "demo",
            "allow:github.com",
            2,
            List.of(new VmEgress.RefusedName("pypi.org", CREATED)),
            5,
            List.of(new VmEgress.DeniedDestination("203.0.113.7", 443, 12)));
    String json =
        "{\"vm\":\"demo\",\"policy\":\"allow:github.com\",\"refused_names\":2,"
            + "\"last_refused\":[{\"name\":\"pypi.org\",\"at\":\"2026-12-05T01:02:03.456Z\"}],"
            + "\"denied_packets\":5,"
            + "\"last_denied\":[{\"address\":\"203.0.113.7\",\"port\":443,\"seconds_ago\":12}]}";
    assertThat(ApiJson.vmEgress(egress).toString()).isEqualTo(json);
    assertThat(ApiJson.vmEgress(parse(json))).isEqualTo(egress);
    assertThat(
            ApiJson.vmSpec(VmSpec.of("demo", "base").withEgress("allow:*.GitHub.com.")).toString())
        .isEqualTo("{\"name\":\"demo\",\"image\":\"base\",\"egress\":\"allow:*.github.com\"}");
  }

  @Test
  void vmParams() {
    assertThat(ApiJson.vmSpec(VmSpec.of("demo", "base")).toString())
        .isEqualTo("{\"name\":\"demo\",\"image\":\"base\"}");
    assertThat(
            ApiJson.vmSpec(
                    VmSpec.of("demo", "base")
                        .withVcpus(3)
                        .withMemoryMib(768)
                        .withDiskSizeBytes(1L << 30)
                        .withNoStart(true))
                .toString())
        .isEqualTo(
            "{\"name\":\"demo\",\"image\":\"base\",\"vcpus\":3,\"memory_mib\":768,"
                + "\"disk_size\":1073741824,\"no_start\":true}");
    assertThat(ApiJson.execSpec("demo", ExecSpec.of("true")).toString())
        .isEqualTo("{\"vm\":\"demo\",\"argv\":[\"true\"]}");
    assertThat(
            ApiJson.execSpec(
                    "demo",
                    new ExecSpec(
                        List.of("sh", "-c", "stty size"),
                        Map.of("A", "1"),
                        Optional.of("/tmp"),
                        Optional.of(new Pty("xterm", 100, 30))))
                .toString())
        .isEqualTo(
            "{\"vm\":\"demo\",\"argv\":[\"sh\",\"-c\",\"stty size\"],\"env\":{\"A\":\"1\"},"
                + "\"cwd\":\"/tmp\",\"tty\":true,\"cols\":100,\"rows\":30,\"term\":\"xterm\"}");
  }

  @Test
  void imageResultsAndParams() throws Exception {
    assertThat(ApiJson.image(image(false)).toString()).isEqualTo(IMAGE);
    assertThat(ApiJson.image(parse(IMAGE))).isEqualTo(image(false));
    String withInitrd =
        IMAGE.replace(
            "\"boot_args\"", "\"initrd\":\"/var/lib/hearth/images/base/initrd.img\",\"boot_args\"");
    assertThat(ApiJson.image(image(true)).toString()).isEqualTo(withInitrd);
    assertThat(ApiJson.images(List.of(image(false))).toString())
        .isEqualTo("{\"images\":[" + IMAGE + "]}");
    String shown = IMAGE.substring(0, IMAGE.length() - 1) + ",\"used_by\":[\"demo\"]}";
    ImageDetails details = new ImageDetails(image(false), List.of("demo"));
    assertThat(ApiJson.imageDetails(details).toString()).isEqualTo(shown);
    assertThat(ApiJson.imageDetails(parse(shown))).isEqualTo(details);

    assertThat(
            ApiJson.imageRegistration(
                    new ImageRegistration(
                        "deb",
                        Path.of("/srv/vmlinux"),
                        Path.of("/srv/rootfs.ext4"),
                        Optional.of(Path.of("/srv/initrd")),
                        Optional.of("quiet"),
                        true))
                .toString())
        .isEqualTo(
            "{\"name\":\"deb\",\"kernel_fd\":0,\"kernel_name\":\"/srv/vmlinux\",\"rootfs_fd\":1,"
                + "\"rootfs_name\":\"/srv/rootfs.ext4\",\"initrd_fd\":2,\"initrd_name\":\"/srv/initrd\","
                + "\"boot_args\":\"quiet\",\"extract_kernel\":true}");
    assertThat(ApiJson.imageBuildSpec(ImageBuildSpec.of("deb"), Optional.empty()).toString())
        .isEqualTo("{\"name\":\"deb\"}");
    assertThat(
            ApiJson.imageBuildSpec(
                    new ImageBuildSpec(
                        "deb",
                        Optional.of("debian:bookworm"),
                        List.of("vim", "curl"),
                        Optional.of(Path.of("/srv/setup.sh")),
                        OptionalLong.of(4L << 30),
                        Optional.of(Path.of("/srv/vmlinux"))),
                    Optional.of("apt-get -y install tmux\n"))
                .toString())
        .isEqualTo(
            "{\"name\":\"deb\",\"from\":\"debian:bookworm\",\"packages\":[\"vim\",\"curl\"],"
                + "\"run_script\":\"apt-get -y install tmux\\n\",\"size\":4294967296,"
                + "\"kernel_fd\":0,\"kernel_name\":\"/srv/vmlinux\"}");
  }

  @Test
  void opResults() throws Exception {
    String running =
        "{\"id\":\"f00dfeed01234567\",\"kind\":\"vm.create\",\"target\":\"demo\","
            + "\"state\":\"running\",\"stage\":\"boot\",\"percent\":40,"
            + "\"log\":[\"reserved 10.77.0.2\",\"booting\"],"
            + "\"started_at\":\"2026-12-05T01:02:03.456Z\",\"result\":\"demo\"}";
    String failed =
        "{\"id\":\"f00dfeed01234567\",\"kind\":\"vm.create\",\"target\":\"demo\","
            + "\"state\":\"failed\",\"stage\":\"boot\","
            + "\"log\":[\"reserved 10.77.0.2\",\"booting\"],"
            + "\"error\":{\"stage\":\"boot\",\"message\":\"the VMM exited\"},"
            + "\"started_at\":\"2026-12-05T01:02:03.456Z\","
            + "\"finished_at\":\"2026-12-05T01:02:09Z\"}";
    assertThat(ApiJson.op(op(false)).toString()).isEqualTo(running);
    assertThat(ApiJson.op(op(true)).toString()).isEqualTo(failed);
    assertThat(ApiJson.op(parse(running))).isEqualTo(op(false));
    assertThat(ApiJson.op(parse(failed))).isEqualTo(op(true));
    assertThat(ApiJson.ops(List.of(op(false))).toString()).isEqualTo("{\"ops\":[" + running + "]}");
  }

  @Test
  void sessionResultsAndParams() throws Exception {
    assertThat(SessionJson.session(session(false)).toString()).isEqualTo(RUNNING_SESSION);
    assertThat(SessionJson.session(session(true)).toString()).isEqualTo(EXITED_SESSION);
    assertThat(SessionJson.session(parse(RUNNING_SESSION))).isEqualTo(session(false));
    assertThat(SessionJson.session(parse(EXITED_SESSION))).isEqualTo(session(true));

    SessionList list =
        new SessionList(
            List.of(new SessionList.Listed("demo", session(false))),
            List.of(new SessionList.Failure("other", "VM other is stopped")));
    String listed =
        "{\"sessions\":["
            + RUNNING_SESSION.substring(0, RUNNING_SESSION.length() - 1)
            + ",\"vm\":\"demo\"}],\"errors\":[{\"vm\":\"other\",\"message\":\"VM other is"
            + " stopped\"}]}";
    assertThat(SessionJson.list(list).toString()).isEqualTo(listed);
    assertThat(SessionJson.list(parse(listed))).isEqualTo(list);

    SessionEnd end = new SessionEnd(SessionState.EXITED, OptionalInt.of(3));
    assertThat(SessionJson.end(end).toString()).isEqualTo("{\"state\":\"exited\",\"exit_code\":3}");
    assertThat(SessionJson.end(parse("{\"state\":\"exited\",\"exit_code\":3}"))).isEqualTo(end);

    SessionOutput output = new SessionOutput(7, session(true));
    String out = "{\"next_offset\":7,\"session\":" + EXITED_SESSION + "}";
    assertThat(SessionJson.output(output).toString()).isEqualTo(out);
    assertThat(SessionJson.output(parse(out))).isEqualTo(output);

    SessionStarted started = new SessionStarted("0123456789", Optional.empty());
    assertThat(SessionJson.started(started).toString())
        .isEqualTo("{\"id\":\"0123456789\",\"name\":\"\"}");
    assertThat(SessionJson.started(parse("{\"id\":\"0123456789\",\"name\":\"\"}")))
        .isEqualTo(started);

    assertThat(
            SessionJson.start(
                    new SessionStart(
                        "demo",
                        Optional.of("reader"),
                        List.of("cat"),
                        Optional.of("/root"),
                        Map.of("A", "1")))
                .toString())
        .isEqualTo(
            "{\"vm\":\"demo\",\"name\":\"reader\",\"cwd\":\"/root\",\"argv\":[\"cat\"],"
                + "\"env\":{\"A\":\"1\"}}");
  }
}
