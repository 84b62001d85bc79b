package dev.hearth.fcproc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.FakeRunner;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FirecrackerBinaryTest {
  final FakeRunner runner = new FakeRunner();

  @Test
  void parsesTheVersionFromFirecrackerVersion() throws Exception {
    Path bin = Path.of("/usr/bin/firecracker");
    runner.on(
        List.of(bin.toString(), "--version"),
        0,
        "Firecracker v1.16.1\n\nSupported snapshot data format versions: v8.0.0\n",
        "");
    FirecrackerBinary binary = FirecrackerBinary.at(bin, runner);
    assertThat(binary.version()).isEqualTo(new FirecrackerVersion(1, 16, 1));
    assertThat(binary.requireSupportedVersion()).isEqualTo(FirecrackerVersion.TESTED);
    assertThat(runner.argvs()).containsOnly(List.of(bin.toString(), "--version"));
  }

  @Test
  void unparsableFailingOrUnsupportedVersionsAreClearErrors() {
    Path bin = Path.of("/opt/fc");
    runner.on(List.of(bin.toString()), 0, "qemu-system-x86_64 version 8\n", "");
    assertThatThrownBy(() -> FirecrackerBinary.at(bin, runner).version())
        .isInstanceOf(FirecrackerBinaryException.class)
        .hasMessageContaining("/opt/fc --version")
        .hasMessageContaining("qemu-system-x86_64 version 8");

    runner.on(List.of(bin.toString()), 126, "", "permission denied");
    assertThatThrownBy(() -> FirecrackerBinary.at(bin, runner).version())
        .hasMessageContaining("exited with code 126")
        .hasMessageContaining("permission denied");

    runner.on(List.of(bin.toString()), 0, "Firecracker v0.25.2\n", "");
    assertThatThrownBy(() -> FirecrackerBinary.at(bin, runner).requireSupportedVersion())
        .isInstanceOf(FirecrackerBinaryException.class)
        .hasMessageContaining("/opt/fc is v0.25.2");
  }

  @Test
  void versionParsingIsStrictAboutTheLine() {
    assertThat(FirecrackerVersion.parse("Firecracker v1.7.0"))
        .contains(new FirecrackerVersion(1, 7, 0));
    assertThat(FirecrackerVersion.parse("Firecracker 1.7.0")).isEmpty();
    assertThat(FirecrackerVersion.parse("")).isEmpty();
    assertThat(new FirecrackerVersion(2, 0, 0).isSupported()).isFalse();
  }
}
