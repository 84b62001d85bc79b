package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hearth.core.testing.HostConditions;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Where the suite must run (CI sets {@code HEARTH_E2E_REQUIRED=1}, see .ci/run), a host that lacks
 * what it needs fails here instead of skipping the scenario with a reason nobody reads.
 */
@Tag("e2e")
class RequirementsE2eTest {

  @Test
  void theHostHasWhatTheScenarioNeeds() {
    assumeTrue(
        "1".equals(System.getenv("HEARTH_E2E_REQUIRED")),
        "HEARTH_E2E_REQUIRED is not 1: the scenario may skip on this host");

    assertThat(HostConditions.isRoot()).as("running as root").isTrue();
    String[] binaries = VmLifecycleE2eTest.class.getAnnotation(RequiresBinary.class).value();
    assertThat(Arrays.stream(binaries).filter(b -> HostConditions.which(b).isEmpty()))
        .as("programs missing from PATH (scripts/install-deps.sh test installs them)")
        .isEmpty();
    Path dist = Path.of(System.getProperty("hearth.e2e.dist", "../cli/target/hearth-dist"));
    assertThat(Files.isExecutable(dist.resolve("bin/hearth"))).as("%s/bin/hearth", dist).isTrue();
  }
}
