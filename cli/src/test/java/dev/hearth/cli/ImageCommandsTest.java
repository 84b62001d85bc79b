package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.RpcException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The image commands against a scripted daemon: arguments, requests, output, exit codes. */
class ImageCommandsTest {
  private static final String ROOTFS_SHA =
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private final FakeDaemon daemon = new FakeDaemon();

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of(), false)
            .withClock(new FakeClock(Samples.NOW))
            .withConnector(daemon);
    return CliRun.run(env, args);
  }

  private static String image(String name, long size, String createdAt) {
    return "{\"name\": \""
        + name
        + "\", \"kernel\": \"/var/lib/hearth/images/"
        + name
        + "/vmlinux\", \"rootfs\": \"/var/lib/hearth/images/"
        + name
        + "/rootfs.ext4\", \"boot_args\": \"quiet\", \"size_bytes\": "
        + size
        + ", \"sha256\": {\"rootfs.ext4\": \""
        + ROOTFS_SHA
        + "\", \"vmlinux\": \"ffff\"}, \"created_at\": \""
        + createdAt
        + "\"}";
  }

  @Test
  void registerSendsAbsolutePathsAndTheOptions() {
    daemon.on("image.register", image("deb", 1L << 30, "2024-05-01T11:59:00Z"));
    CliRun.Result r =
        run(
            "image",
            "register",
            "deb",
            "--kernel",
            "k/vmlinuz",
            "--rootfs",
            "/srv/root.ext4",
            "--initrd",
            "initrd.img",
            "--boot-args",
            "quiet loglevel=3",
            "--extract-kernel");

    assertThat(r.exitCode()).isZero();
    JsonNode params = daemon.paramsOf("image.register");
    assertThat(params.path("name").asText()).isEqualTo("deb");
    assertThat(params.path("kernel").asText())
        .isEqualTo(Path.of("k/vmlinuz").toAbsolutePath().toString());
    assertThat(params.path("rootfs").asText()).isEqualTo("/srv/root.ext4");
    assertThat(params.path("initrd").asText())
        .isEqualTo(Path.of("initrd.img").toAbsolutePath().toString());
    assertThat(params.path("boot_args").asText()).isEqualTo("quiet loglevel=3");
    assertThat(params.path("extract_kernel").asBoolean()).isTrue();
    assertThat(r.out()).contains("image deb registered (1 GiB, rootfs sha256 0123456789ab)");
    assertThat(daemon.allClosed()).isTrue();
  }

  @Test
  void registerWithoutRootfsIsAUsageError() {
    CliRun.Result r = run("image", "register", "deb", "--kernel", "/k");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--rootfs");
    assertThat(daemon.requests()).isEmpty();
  }

  @Test
  void registerOmitsTheOptionsNotGiven() {
    daemon.on("image.register", image("deb", 1L << 30, "2024-05-01T11:59:00Z"));
    run("image", "register", "deb", "--kernel", "/k", "--rootfs", "/r");
    JsonNode params = daemon.paramsOf("image.register");
    assertThat(params.has("initrd")).isFalse();
    assertThat(params.has("boot_args")).isFalse();
    assertThat(params.has("extract_kernel")).isFalse();
  }

  @Test
  void listPrintsAnAlignedTableWithTheShortRootfsDigest() {
    daemon.on(
        "image.list",
        "{\"images\": ["
            + image("base", 2L << 30, "2024-05-01T10:00:00Z")
            + ", {\"name\": \"by-hand-image\", \"kernel\": \"/k\", \"rootfs\": \"/r\","
            + " \"boot_args\": \"\", \"size_bytes\": 8388608, \"sha256\": {},"
            + " \"created_at\": \"2024-05-01T11:59:30Z\"}]}");
    CliRun.Result r = run("image", "list");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out().lines())
        .containsExactly(
            "NAME           SIZE   SHA256        CREATED",
            "base           2 GiB  0123456789ab  2h ago",
            "by-hand-image  8 MiB  -             30s ago");
  }

  @Test
  void listJsonPrintsTheImagesArray() {
    daemon.on("image.list", "{\"images\": [" + image("base", 1, "2024-05-01T10:00:00Z") + "]}");
    CliRun.Result r = run("image", "list", "--json");
    assertThat(FakeDaemon.json(r.out()).get(0).path("name").asText()).isEqualTo("base");
  }

  @Test
  void showPrintsTheDetailsAndTheVmsUsingIt() {
    String shown =
        image("base", 1L << 30, "2024-05-01T11:00:00Z")
            .replaceFirst("\\}$", ", \"used_by\": [\"demo\", \"web\"]}");
    daemon.on("image.show", shown);
    CliRun.Result r = run("image", "show", "base");

    assertThat(daemon.paramsOf("image.show").path("image").asText()).isEqualTo("base");
    assertThat(r.out())
        .contains("Name:")
        .contains("Boot args:")
        .contains("quiet")
        .contains(ROOTFS_SHA)
        .containsPattern("Used by: +demo, web");
  }

  @Test
  void deleteRefusedShowsTheDaemonsMessage() {
    daemon.on(
        "image.delete",
        (params, listener) -> {
          throw new RpcException(
              -32004,
              "precondition_failed",
              "image 'base' is used by VM(s) demo; delete them first (`hearth vm delete`)");
        });
    CliRun.Result r = run("image", "delete", "base");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("used by VM(s) demo");
  }

  @Test
  void deleteSaysWhatWentAndPromoteSendsVmAndName() {
    daemon
        .on("image.delete", "{\"deleted\": \"base\"}")
        .on("image.promote", image("snap", 1L << 30, "2024-05-01T11:59:00Z"));

    assertThat(run("image", "rm", "base").out()).contains("deleted image base");
    CliRun.Result r = run("image", "promote", "demo", "snap");

    JsonNode params = daemon.paramsOf("image.promote");
    assertThat(params.path("vm").asText()).isEqualTo("demo");
    assertThat(params.path("name").asText()).isEqualTo("snap");
    assertThat(r.out()).contains("image snap promoted");
  }
}
