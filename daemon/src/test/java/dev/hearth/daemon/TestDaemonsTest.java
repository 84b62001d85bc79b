package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Config;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Test daemons without a host network seam reconcile the host's real TAPs and nft tables: their
 * names must be neither an installed daemon's nor another test daemon's.
 */
class TestDaemonsTest {
  @TempDir Path dir;

  @Test
  void aTestDaemonsHostNetworkNamesAreItsOwn() {
    Config installed = Config.defaults();
    Config test = TestDaemons.config(dir);
    Config other = TestDaemons.config(dir);

    assertThat(test.bridgeName()).isNotEqualTo(installed.bridgeName());
    assertThat(test.tapPrefix())
        .isNotEqualTo(installed.tapPrefix())
        .doesNotStartWith(installed.tapPrefix())
        .isNotEqualTo(other.tapPrefix());
    assertThat(test.networkTag())
        .isNotEqualTo(installed.networkTag())
        .isNotEqualTo(other.networkTag());
  }
}
