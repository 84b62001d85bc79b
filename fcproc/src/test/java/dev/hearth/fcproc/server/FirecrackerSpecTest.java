package dev.hearth.fcproc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hearth.fcproc.testing.ReferenceSpec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FirecrackerSpecTest {
  static final FirecrackerSpec SPEC = FirecrackerSpec.bundled();

  @Test
  void theBundledCopyIsByteIdenticalToTheSharedReference() throws Exception {
    Optional<Path> reference = ReferenceSpec.find();
    assumeTrue(
        reference.isPresent(),
        "no shared/reference/firecracker/"
            + FirecrackerSpec.FILE_NAME
            + " beside this checkout (nor -D"
            + ReferenceSpec.PROPERTY
            + "): the bundled copy cannot be compared with it here");
    byte[] bundled;
    try (InputStream in = FirecrackerSpec.class.getResourceAsStream(FirecrackerSpec.FILE_NAME)) {
      bundled = in.readAllBytes();
    }
    assertThat(bundled).isEqualTo(Files.readAllBytes(reference.get()));
    assertThat(ReferenceSpec.load().operations()).isEqualTo(SPEC.operations());
  }

  @Test
  void acceptsAWellFormedDrive() {
    assertThat(
            SPEC.validate(
                "PUT",
                "/drives/rootfs",
                "{\"drive_id\":\"rootfs\",\"path_on_host\":\"/x\","
                    + "\"is_root_device\":true,\"is_read_only\":false}"))
        .isEmpty();
  }

  @Test
  void rejectsUnknownFieldsMissingFieldsAndWrongTypes() {
    assertThat(
            SPEC.validate(
                "PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":256,\"cpus\":2}"))
        .hasValueSatisfying(f -> assertThat(f).contains("unknown field `cpus`"));
    assertThat(SPEC.validate("PUT", "/machine-config", "{\"vcpu_count\":2}"))
        .hasValueSatisfying(f -> assertThat(f).contains("missing field `mem_size_mib`"));
    assertThat(
            SPEC.validate("PUT", "/machine-config", "{\"vcpu_count\":\"2\",\"mem_size_mib\":256}"))
        .hasValueSatisfying(f -> assertThat(f).contains("body.vcpu_count: expected an integer"));
    assertThat(SPEC.validate("PUT", "/machine-config", "{\"vcpu_count\":33,\"mem_size_mib\":256}"))
        .hasValueSatisfying(f -> assertThat(f).contains("above the maximum 32"));
    assertThat(
            SPEC.validate(
                "PUT", "/drives/rootfs", "{\"drive_id\":\"rootfs\",\"is_root_device\":\"yes\"}"))
        .hasValueSatisfying(f -> assertThat(f).contains("expected a boolean"));
  }

  @Test
  void checksEnumsIncludingTheOnesYamlWouldReadAsBooleans() {
    assertThat(SPEC.validate("PUT", "/logger", "{\"log_path\":\"/l\",\"level\":\"Off\"}"))
        .isEmpty();
    assertThat(SPEC.validate("PUT", "/logger", "{\"log_path\":\"/l\",\"level\":\"Loud\"}"))
        .hasValueSatisfying(f -> assertThat(f).contains("unknown variant 'Loud'"));
    assertThat(SPEC.validate("PUT", "/actions", "{\"action_type\":\"Reboot\"}")).isPresent();
    assertThat(SPEC.validate("PATCH", "/vm", "{\"state\":\"Paused\"}")).isEmpty();
  }

  @Test
  void checksPathIdsAgainstTheRuleAndTheBody() {
    assertThat(
            SPEC.validate(
                "PUT",
                "/drives/root-fs",
                "{\"drive_id\":\"root-fs\",\"path_on_host\":\"/x\","
                    + "\"is_root_device\":true,\"is_read_only\":false}"))
        .hasValueSatisfying(f -> assertThat(f).contains("Invalid ID"));
    assertThat(
            SPEC.validate(
                "PUT",
                "/network-interfaces/eth0",
                "{\"iface_id\":\"eth1\",\"host_dev_name\":\"tap0\"}"))
        .hasValueSatisfying(f -> assertThat(f).contains("does not match"));
  }

  @Test
  void rejectsUnknownPathsMethodsAndMissingBodies() {
    assertThat(SPEC.validate("PUT", "/machine", "{}"))
        .hasValue("Invalid request method and/or path: PUT /machine.");
    assertThat(SPEC.validate("DELETE", "/drives/rootfs", "")).isPresent();
    assertThat(SPEC.validate("PUT", "/boot-source", "")).hasValue("Empty PUT request.");
    assertThat(SPEC.validate("PUT", "/boot-source", "{not json")).isPresent();
    assertThat(SPEC.validate("GET", "/", "")).isEmpty();
  }

  @Test
  void knowsWhichResourcesArePreBootOnly() {
    assertThat(SPEC.endpoint("PUT", "/drives/rootfs").orElseThrow().preBootOnly()).isTrue();
    assertThat(SPEC.endpoint("PUT", "/logger").orElseThrow().preBootOnly()).isTrue();
    assertThat(SPEC.endpoint("PATCH", "/drives/rootfs").orElseThrow().postBootOnly()).isTrue();
    assertThat(SPEC.endpoint("PUT", "/actions").orElseThrow().preBootOnly()).isFalse();
    assertThat(SPEC.endpoint("PATCH", "/vm").orElseThrow().preBootOnly()).isFalse();
  }
}
