package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Image;
import dev.hearth.daemon.ImageDetails;
import dev.hearth.daemon.ImageRegistration;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The image commands against a fake hearth: arguments, requests, output, exit codes. */
class ImageCommandsTest {
  private static final String ROOTFS_SHA =
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private final FakeHearth hearth = new FakeHearth();

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of(), false).withClock(new FakeClock(Samples.NOW)).withHearths(hearth);
    return CliRun.run(env, args);
  }

  private static Image image(String name, long size, String createdAt) {
    Map<String, String> sums = new LinkedHashMap<>();
    sums.put("rootfs.ext4", ROOTFS_SHA);
    sums.put("vmlinux", "ffff");
    return new Image(
        name,
        Path.of("/var/lib/hearth/images/" + name + "/vmlinux"),
        Path.of("/var/lib/hearth/images/" + name + "/rootfs.ext4"),
        Optional.empty(),
        "quiet",
        size,
        sums,
        Instant.parse(createdAt));
  }

  @Test
  void registerSendsAbsolutePathsAndTheOptions() {
    hearth.imageRegister = r -> image("deb", 1L << 30, "2024-05-01T11:59:00Z");
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
    ImageRegistration sent = (ImageRegistration) hearth.callOf("image.register").arg(0);
    assertThat(sent.name()).isEqualTo("deb");
    assertThat(sent.kernel()).isEqualTo(Path.of("k/vmlinuz").toAbsolutePath());
    assertThat(sent.rootfs()).isEqualTo(Path.of("/srv/root.ext4"));
    assertThat(sent.initrd()).contains(Path.of("initrd.img").toAbsolutePath());
    assertThat(sent.bootArgs()).contains("quiet loglevel=3");
    assertThat(sent.extractKernel()).isTrue();
    assertThat(r.out()).contains("image deb registered (1 GiB, rootfs sha256 0123456789ab)");
    assertThat(hearth.allClosed()).isTrue();
  }

  @Test
  void registerWithoutRootfsIsAUsageError() {
    CliRun.Result r = run("image", "register", "deb", "--kernel", "/k");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--rootfs");
    assertThat(hearth.calls()).isEmpty();
  }

  @Test
  void registerOmitsTheOptionsNotGiven() {
    hearth.imageRegister = r -> image("deb", 1L << 30, "2024-05-01T11:59:00Z");
    run("image", "register", "deb", "--kernel", "/k", "--rootfs", "/r");
    ImageRegistration sent = (ImageRegistration) hearth.callOf("image.register").arg(0);
    assertThat(sent.initrd()).isEmpty();
    assertThat(sent.bootArgs()).isEmpty();
    assertThat(sent.extractKernel()).isFalse();
  }

  @Test
  void listPrintsAnAlignedTableWithTheShortRootfsDigest() {
    hearth.imageList =
        () ->
            List.of(
                image("base", 2L << 30, "2024-05-01T10:00:00Z"),
                new Image(
                    "by-hand-image",
                    Path.of("/k"),
                    Path.of("/r"),
                    Optional.empty(),
                    "",
                    8388608,
                    Map.of(),
                    Instant.parse("2024-05-01T11:59:30Z")));
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
    hearth.imageList = () -> List.of(image("base", 1, "2024-05-01T10:00:00Z"));
    CliRun.Result r = run("image", "list", "--json");
    assertThat(Samples.node(r.out()).get(0).path("name").asText()).isEqualTo("base");
  }

  @Test
  void showPrintsTheDetailsAndTheVmsUsingIt() {
    hearth.imageShow =
        name ->
            new ImageDetails(
                image("base", 1L << 30, "2024-05-01T11:00:00Z"), List.of("demo", "web"));
    CliRun.Result r = run("image", "show", "base");

    assertThat(hearth.callOf("image.show").arg(0)).isEqualTo("base");
    assertThat(r.out())
        .contains("Name:")
        .contains("Boot args:")
        .contains("quiet")
        .contains(ROOTFS_SHA)
        .containsPattern("Used by: +demo, web");
  }

  @Test
  void deleteRefusedShowsTheDaemonsMessage() {
    hearth.imageDelete =
        name -> {
          throw HearthException.preconditionFailed(
              "image 'base' is used by VM(s) demo; delete them first (`hearth vm delete`)");
        };
    CliRun.Result r = run("image", "delete", "base");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("used by VM(s) demo");
  }

  @Test
  void deleteSaysWhatWentAndPromoteSendsVmAndName() {
    hearth.imageDelete = name -> "base";
    hearth.imagePromote = (vm, name) -> image("snap", 1L << 30, "2024-05-01T11:59:00Z");

    assertThat(run("image", "rm", "base").out()).contains("deleted image base");
    CliRun.Result r = run("image", "promote", "demo", "snap");

    FakeHearth.Call promote = hearth.callOf("image.promote");
    assertThat(promote.arg(0)).isEqualTo("demo");
    assertThat(promote.arg(1)).isEqualTo("snap");
    assertThat(r.out()).contains("image snap promoted");
  }
}
