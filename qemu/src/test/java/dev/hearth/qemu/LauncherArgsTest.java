package dev.hearth.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.fcproc.QemuAccel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LauncherArgsTest {
  static LauncherArgs parse(Map<String, String> env, String... args) throws Exception {
    return LauncherArgs.parse(args, env);
  }

  @Test
  void readsFirecrackersFlagsAsHearthPassesThem() throws Exception {
    LauncherArgs a = parse(Map.of(), "--api-sock", "/run/hearth/vms/0a1b.sock", "--id", "0a1b-c2");

    assertThat(a.apiSocket()).isEqualTo(Path.of("/run/hearth/vms/0a1b.sock"));
    assertThat(a.instanceId()).isEqualTo("0a1b-c2");
    assertThat(a.mode()).isEqualTo(LauncherArgs.Mode.RUN);
    assertThat(a.accel()).isEqualTo(QemuAccel.AUTO);
    assertThat(a.qemuBinary()).isEqualTo(Path.of("qemu-system-x86_64"));
    assertThat(a.qmpSocket()).isEqualTo(Path.of("/run/hearth/vms/0a1b.sock.qmp"));
  }

  @Test
  void defaultsAreFirecrackers() throws Exception {
    LauncherArgs a = parse(Map.of());

    assertThat(a.apiSocket()).isEqualTo(Path.of("/run/firecracker.socket"));
    assertThat(a.instanceId()).isEqualTo("anonymous-instance");
  }

  @Test
  void theAcceleratorAndQemuComeFromTheEnvironmentUnlessAFlagSaysOtherwise() throws Exception {
    Map<String, String> env =
        Map.of(LauncherArgs.ACCEL_ENV, "TCG", LauncherArgs.QEMU_ENV, "/opt/qemu/bin/qemu");

    assertThat(parse(env).accel()).isEqualTo(QemuAccel.TCG);
    assertThat(parse(env).qemuBinary()).isEqualTo(Path.of("/opt/qemu/bin/qemu"));
    assertThat(parse(env, "--accel", "kvm", "--qemu", "/q").accel()).isEqualTo(QemuAccel.KVM);
    assertThat(parse(env, "--accel", "kvm", "--qemu", "/q").qemuBinary()).isEqualTo(Path.of("/q"));
    assertThat(parse(Map.of(LauncherArgs.ACCEL_ENV, "")).accel()).isEqualTo(QemuAccel.AUTO);
  }

  @Test
  void versionAndHelp() throws Exception {
    assertThat(parse(Map.of(), "--version").mode()).isEqualTo(LauncherArgs.Mode.VERSION);
    assertThat(parse(Map.of(), "--help").mode()).isEqualTo(LauncherArgs.Mode.HELP);
  }

  @Test
  void refusesWhatFirecrackerRefuses() {
    assertThatThrownBy(() -> parse(Map.of(), "--api-sock", "/s", "--boot-timer"))
        .isInstanceOf(LauncherArgs.UsageException.class)
        .hasMessage(
            "Arguments parsing error: Found argument '--boot-timer' which wasn't expected, or"
                + " isn't valid in this context.");
    assertThatThrownBy(() -> parse(Map.of(), "--api-sock"))
        .hasMessageContaining("'--api-sock <api-sock>' requires a value");
    assertThatThrownBy(() -> parse(Map.of(), "--id", "has_underscore"))
        .hasMessage("Invalid instance ID: has_underscore (1 to 64 ASCII letters, digits and '-').");
    assertThatThrownBy(() -> parse(Map.of(), "--id", "x".repeat(65)))
        .hasMessageContaining("Invalid instance ID");
    assertThatThrownBy(() -> parse(Map.of(LauncherArgs.ACCEL_ENV, "hvf")))
        .hasMessage(
            "Arguments parsing error: HEARTH_QEMU_ACCEL is 'hvf'; expected auto, kvm or tcg.");
    assertThatThrownBy(() -> parse(Map.of(), "--accel", "xen"))
        .hasMessageContaining("--accel is 'xen'");
  }
}
