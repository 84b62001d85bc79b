package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LayoutTest {
  private final Layout layout = new Layout(Path.of("/srv/hearth/state"), Path.of("/run/h"));

  @Test
  void derivesStatePaths() {
    assertThat(layout.stateDir()).isEqualTo(Path.of("/srv/hearth/state"));
    assertThat(layout.database()).isEqualTo(Path.of("/srv/hearth/state/hearth.db"));
    assertThat(layout.imagesDir()).isEqualTo(Path.of("/srv/hearth/state/images"));
    assertThat(layout.imageDir("ubuntu-24"))
        .isEqualTo(Path.of("/srv/hearth/state/images/ubuntu-24"));
    assertThat(layout.imageStagingDir()).isEqualTo(Path.of("/srv/hearth/state/staging"));
    assertThat(layout.imageBuildCacheDir()).isEqualTo(Path.of("/srv/hearth/state/cache/build"));
    assertThat(layout.vmsDir()).isEqualTo(Path.of("/srv/hearth/state/vms"));
    assertThat(layout.vmDir("0123abcd")).isEqualTo(Path.of("/srv/hearth/state/vms/0123abcd"));
    assertThat(layout.sshDir()).isEqualTo(Path.of("/srv/hearth/state/ssh"));
    assertThat(layout.sshPrivateKey()).isEqualTo(Path.of("/srv/hearth/state/ssh/id_ed25519"));
    assertThat(layout.sshPublicKey()).isEqualTo(Path.of("/srv/hearth/state/ssh/id_ed25519.pub"));
  }

  @Test
  void derivesRuntimePaths() {
    assertThat(layout.runtimeDir()).isEqualTo(Path.of("/run/h"));
    assertThat(layout.socket()).isEqualTo(Path.of("/run/h/hearth.sock"));
    assertThat(layout.pidFile()).isEqualTo(Path.of("/run/h/hearth.pid"));
    assertThat(layout.lockFile()).isEqualTo(Path.of("/run/h/hearth.lock"));
    assertThat(layout.vmSocketsDir()).isEqualTo(Path.of("/run/h/vms"));
    assertThat(layout.vmApiSocket("ff00")).isEqualTo(Path.of("/run/h/vms/ff00.sock"));
  }

  @Test
  void makesFoldersAbsoluteAndNormal() {
    Layout relative = new Layout(Path.of("state/../st"), Path.of("./rt"));
    Path cwd = Path.of("").toAbsolutePath();
    assertThat(relative.stateDir()).isEqualTo(cwd.resolve("st"));
    assertThat(relative.runtimeDir()).isEqualTo(cwd.resolve("rt"));
  }

  @Test
  void takesItsFoldersFromConfig() {
    Config config =
        Config.defaults()
            .with(ConfigKey.STATE_DIR, "/data/hearth")
            .with(ConfigKey.RUNTIME_DIR, "/run/other");
    Layout fromConfig = Layout.of(config);
    assertThat(fromConfig.database()).isEqualTo(Path.of("/data/hearth/hearth.db"));
    assertThat(fromConfig.socket()).isEqualTo(Path.of("/run/other/hearth.sock"));
    assertThat(Layout.of(Config.defaults()).socket()).isEqualTo(Path.of("/run/hearth/hearth.sock"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "..",
        "../etc",
        "ab/cd",
        "/abs",
        "ABCD",
        "xyz",
        "ab\ncd",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"
      })
  void vmPathsRejectIdsThatAreNotHex(String id) {
    assertThatThrownBy(() -> layout.vmDir(id))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("invalid id")
        .hasMessageContaining("hex digits");
    assertThatThrownBy(() -> layout.vmApiSocket(id)).isInstanceOf(InvalidNameException.class);
  }

  @Test
  void idMessageEscapesControlCharacters() {
    assertThatThrownBy(() -> layout.vmDir("ab\ncd")).hasMessageContaining("'ab\\x0acd'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", "a/b", "Ubuntu", ""})
  void imagePathsRejectInvalidNames(String name) {
    assertThatThrownBy(() -> layout.imageDir(name)).isInstanceOf(InvalidNameException.class);
  }
}
