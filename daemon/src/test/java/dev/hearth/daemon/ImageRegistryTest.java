package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image methods on a real daemon socket: register (a real ext4 from mkfs.ext4, a minimal ELF
 * kernel), list and show, delete refused while a VM uses the image, promote of a stopped VM, and a
 * create from a registered image.
 */
@RequiresBinary({"mkfs.ext4", "debugfs", "truncate"})
@Timeout(120)
class ImageRegistryTest {
  @TempDir Path dir;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private VmFixture fx;
  private Path kernel;
  private Path rootfs;

  @BeforeEach
  void setUp() throws Exception {
    Path files = Files.createDirectories(dir.resolve("files"));
    kernel = Files.write(files.resolve("vmlinux"), elfKernel());
    rootfs = files.resolve("rootfs.ext4");
    runner.check(Command.of("truncate", "-s", "16M", rootfs.toString()));
    runner.check(Command.of("mkfs.ext4", "-q", "-F", rootfs.toString()));
    fx = new VmFixture(dir).start();
  }

  @AfterEach
  void tearDown() throws Exception {
    fx.close();
  }

  @Test
  void registerPublishesTheImageWithItsChecksumsAndBootArgs() throws Exception {
    JsonNode image = register("deb", ", \"boot_args\": \"quiet loglevel=3\"");

    assertThat(image.path("name").asText()).isEqualTo("deb");
    Path imageDir = fx.layout.imageDir("deb");
    assertThat(image.path("rootfs").asText()).isEqualTo(imageDir.resolve("rootfs.ext4").toString());
    assertThat(image.path("boot_args").asText()).isEqualTo("quiet loglevel=3");
    assertThat(image.path("size_bytes").asLong())
        .isEqualTo(Files.size(kernel) + Files.size(rootfs));
    assertThat(image.path("sha256").path("rootfs.ext4").asText())
        .isEqualTo(sha256(rootfs))
        .hasSize(64);
    assertThat(image.has("initrd")).isFalse();
    assertThat(Files.readAllBytes(imageDir.resolve("vmlinux")))
        .isEqualTo(Files.readAllBytes(kernel));
  }

  @Test
  void aBzImageIsRefusedWithHowToExtractIt() throws Exception {
    byte[] setup = new byte[0x400];
    new Random(3).nextBytes(setup);
    System.arraycopy("HdrS".getBytes(StandardCharsets.US_ASCII), 0, setup, 0x202, 4);
    Path bz = Files.write(dir.resolve("vmlinuz"), setup);

    assertThatThrownBy(
            () ->
                fx.callWithFiles(
                    "image.register",
                    "{\"name\": \"x\", \"kernel_fd\": 0, \"kernel_name\": \""
                        + bz
                        + "\", \"rootfs_fd\": 1}",
                    bz,
                    rootfs))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.wireCode()).hasValue(-32602))
        .satisfies(e -> assertThat(e.getMessage()).contains(bz.toString(), "--extract-kernel"));
    assertThat(fx.layout.imageDir("x")).doesNotExist();
    assertThat(Files.list(fx.layout.imageStagingDir())).isEmpty();
  }

  @Test
  void aFileNameThatIsNoPathIsRefusedNamingItsParam() throws Exception {
    for (String name : List.of("nul\\u0000byte", "x".repeat(4097))) {
      assertThatThrownBy(
              () ->
                  fx.callWithFiles(
                      "image.register",
                      "{\"name\": \"x\", \"kernel_fd\": 0, \"kernel_name\": \""
                          + name
                          + "\", \"rootfs_fd\": 1}",
                      kernel,
                      rootfs))
          .asInstanceOf(type(HearthException.class))
          .satisfies(e -> assertThat(e.wireCode()).hasValue(-32602))
          .satisfies(e -> assertThat(e.getMessage()).contains("param 'kernel_name'"));
    }
    // workspace.import checks its strings before it looks for the VM.
    assertThatThrownBy(
            () ->
                fx.call(
                    "workspace.import",
                    "{\"vm\": \"none\", \"name\": \"w\", \"branch\": \"main\", \"head\":"
                        + " \"a\", \"host_path\": \"/repo\\u0000x\", \"size\": 0}"))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.wireCode()).hasValue(-32602))
        .satisfies(e -> assertThat(e.getMessage()).contains("param 'host_path'", "NUL"));
    assertThat(fx.layout.imageDir("x")).doesNotExist();
  }

  @Test
  void aBadRootfsIsRefusedNamingTheFile() throws Exception {
    Path bad = Files.write(dir.resolve("random.img"), new byte[4096]);

    assertThatThrownBy(
            () ->
                fx.callWithFiles(
                    "image.register",
                    "{\"name\": \"x\", \"kernel_fd\": 0, \"rootfs_fd\": 1, \"rootfs_name\": \""
                        + bad
                        + "\"}",
                    kernel,
                    bad))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.wireCode()).hasValue(-32602))
        .satisfies(e -> assertThat(e.getMessage()).contains(bad.toString()));
    assertThat(fx.layout.imageDir("x")).doesNotExist();
  }

  @Test
  void aTakenNameIsAConflict() throws Exception {
    register("deb", "");

    assertThatThrownBy(() -> register("deb", ""))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.kind().wireName()).isEqualTo("conflict"));
  }

  /**
   * Issue 12: the root daemon opened any path a socket member named (image.register --initrd with
   * the daemon's private key). A path is now refused, naming the param that replaced it.
   */
  @Test
  void aPathInsteadOfAPassedFileIsRefusedNamingTheNewParam() throws Exception {
    for (String field : List.of("kernel", "rootfs", "initrd")) {
      assertThatThrownBy(
              () ->
                  fx.call(
                      "image.register",
                      "{\"name\": \"y\", \""
                          + field
                          + "\": \""
                          + fx.layout.sshPrivateKey()
                          + "\"}"))
          .asInstanceOf(type(HearthException.class))
          .satisfies(e -> assertThat(e.wireCode()).hasValue(-32602))
          .satisfies(
              e ->
                  assertThat(e.getMessage())
                      .contains("param '" + field + "'", "'" + field + "_fd'", "SCM_RIGHTS"));
    }
    assertThatThrownBy(
            () ->
                fx.call("image.register", "{\"name\": \"y\", \"kernel_fd\": 0, \"rootfs_fd\": 1}"))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.wireCode()).hasValue(-32602))
        .satisfies(
            e ->
                assertThat(e.getMessage())
                    .contains("kernel_fd", "no file descriptor number 0 came with the request"));
    assertThat(fx.layout.imageDir("y")).doesNotExist();
  }

  @Test
  void anInitrdOfUnknownFormatIsRefusedNamingItsFirstBytes() throws Exception {
    Path key =
        Files.writeString(dir.resolve("id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");

    assertThatThrownBy(
            () ->
                fx.callWithFiles(
                    "image.register",
                    "{\"name\": \"k\", \"kernel_fd\": 0, \"rootfs_fd\": 1, \"initrd_fd\": 2,"
                        + " \"initrd_name\": \""
                        + key
                        + "\"}",
                    kernel,
                    rootfs,
                    key))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.wireCode()).hasValue(-32602))
        .satisfies(
            e ->
                assertThat(e.getMessage())
                    .contains(key + ": not an initrd: it starts with bytes 2d 2d 2d 2d 2d 42"));
    assertThat(fx.layout.imageDir("k")).doesNotExist();
  }

  @Test
  void listAndShowIncludeHandMadeImagesAndUsers() throws Exception {
    register("deb", "");
    JsonNode created = fx.call("vm.create", createParams("demo", "deb"));
    fx.watch(created.path("op").path("id").asText());

    JsonNode list = fx.call("image.list", "{}");
    assertThat(list.path("images").findValuesAsText("name")).containsExactly("base", "deb");
    assertThat(list.path("images").get(0).path("sha256").size()).isZero();

    JsonNode shown = fx.call("image.show", "{\"image\": \"deb\"}");
    assertThat(shown.path("used_by").get(0).asText()).isEqualTo("demo");
    assertThatThrownBy(() -> fx.call("image.show", "{\"image\": \"nope\"}"))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.kind().wireName()).isEqualTo("not_found"));
  }

  @Test
  void aCreateFromARegisteredImageCarriesItsBootArgs() throws Exception {
    register("deb", ", \"boot_args\": \"quiet\"");

    JsonNode created = fx.call("vm.create", createParams("demo", "deb"));
    JsonNode last = last(fx.watch(created.path("op").path("id").asText()));

    assertThat(last.path("state").asText()).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"demo\"}");
    assertThat(vm.path("state").asText()).isEqualTo("stopped");
    assertThat(vm.path("boot_args").asText()).contains(" quiet ip=");
  }

  @Test
  void deleteIsRefusedWhileAVmUsesTheImageAndAllowedAfter() throws Exception {
    register("deb", "");
    JsonNode created = fx.call("vm.create", createParams("demo", "deb"));
    fx.watch(created.path("op").path("id").asText());

    assertThatThrownBy(() -> fx.call("image.delete", "{\"image\": \"deb\"}"))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.kind().wireName()).isEqualTo("precondition_failed"))
        .satisfies(e -> assertThat(e.getMessage()).contains("demo"));
    assertThat(fx.layout.imageDir("deb").resolve("rootfs.ext4")).exists();

    fx.call("vm.delete", "{\"vm\": \"demo\"}");
    JsonNode deleted = fx.call("image.delete", "{\"image\": \"deb\"}");

    assertThat(deleted.path("deleted").asText()).isEqualTo("deb");
    assertThat(fx.layout.imageDir("deb")).doesNotExist();
    assertThat(Files.list(fx.layout.imageStagingDir())).isEmpty();
    assertThatThrownBy(() -> fx.call("image.delete", "{\"image\": \"deb\"}"))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.kind().wireName()).isEqualTo("not_found"));
  }

  @Test
  void promoteFlattensAStoppedVmsDiskIntoANewImage() throws Exception {
    register("deb", ", \"boot_args\": \"quiet\"");
    JsonNode created = fx.call("vm.create", createParams("demo", "deb"));
    fx.watch(created.path("op").path("id").asText());
    Path disk = Path.of(fx.call("vm.show", "{\"vm\": \"demo\"}").path("root_disk").asText());
    Path marker = Files.writeString(dir.resolve("marker"), "made in demo\n");
    runner.check(
        Command.of("debugfs", "-w", "-R", "write " + marker + " /marker", disk.toString()));

    JsonNode promoted = fx.call("image.promote", "{\"vm\": \"demo\", \"name\": \"demo-img\"}");

    assertThat(promoted.path("name").asText()).isEqualTo("demo-img");
    assertThat(promoted.path("boot_args").asText()).isEqualTo("quiet");
    Path newRootfs = Path.of(promoted.path("rootfs").asText());
    CommandResult cat =
        runner.check(Command.of("debugfs", "-R", "cat /marker", newRootfs.toString()));
    assertThat(cat.stdout()).contains("made in demo");
    JsonNode source = fx.call("image.show", "{\"image\": \"deb\"}");
    assertThat(promoted.path("sha256").path("vmlinux").asText())
        .isEqualTo(source.path("sha256").path("vmlinux").asText());
    assertThatThrownBy(() -> fx.call("image.promote", "{\"vm\": \"demo\", \"name\": \"demo-img\"}"))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.kind().wireName()).isEqualTo("conflict"));
  }

  @Test
  void aFailedPromoteLeavesNoImageAndNoStaging() throws Exception {
    // The fixture's hand-made image "base" has a dummy kernel, which promote copies and checks.
    JsonNode created = fx.call("vm.create", createParams("demo", VmFixture.IMAGE));
    fx.watch(created.path("op").path("id").asText());

    assertThatThrownBy(() -> fx.call("image.promote", "{\"vm\": \"demo\", \"name\": \"snap\"}"))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.wireCode()).hasValue(-32602))
        .satisfies(e -> assertThat(e.getMessage()).contains("vmlinux"));
    assertThat(fx.layout.imageDir("snap")).doesNotExist();
    assertThat(Files.list(fx.layout.imageStagingDir())).isEmpty();
  }

  @Test
  void promoteOfARunningVmIsRefusedNamingVmStop() throws Exception {
    register("deb", "");
    JsonNode created = fx.call("vm.create", "{\"name\": \"demo\", \"image\": \"deb\"}");
    JsonNode last = last(fx.watch(created.path("op").path("id").asText()));
    assertThat(last.path("state").asText()).isEqualTo("succeeded");

    assertThatThrownBy(() -> fx.call("image.promote", "{\"vm\": \"demo\", \"name\": \"copy\"}"))
        .asInstanceOf(type(HearthException.class))
        .satisfies(e -> assertThat(e.kind().wireName()).isEqualTo("precondition_failed"))
        .satisfies(e -> assertThat(e.getMessage()).contains("hearth vm stop demo"));
    fx.call("vm.kill", "{\"vm\": \"demo\"}");
  }

  @Test
  // Its staging alone may take the 5 minutes its wait allows on a loaded host; the class's 2-minute
  // backstop would cut that wait short.
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void aHugeSparseRegisterChecksumsWithoutHoldingTheImageLock() throws Exception {
    // 32 GiB, nearly all hole: staged through its descriptor in a while (the daemon reads what a
    // client passes, holes included), then its sha256 (of 32 GiB of bytes, holes hashed as zeros
    // without reading them) takes minutes. Other image operations go on meanwhile.
    long size = 32L << 30;
    Path huge = dir.resolve("files").resolve("huge.ext4");
    Files.copy(rootfs, huge);
    runner.check(Command.of("truncate", "-s", Long.toString(size), huge.toString()));
    Future<JsonNode> hugeRegister =
        Await.async(
            "register of the 32 GiB image",
            () ->
                fx.callWithFiles(
                    "image.register",
                    "{\"name\": \"huge\", \"kernel_fd\": 0, \"rootfs_fd\": 1}",
                    kernel,
                    huge));
    Await.until(
        Duration.ofMinutes(5),
        "the 32 GiB rootfs to be staged",
        () -> {
          if (!Files.isDirectory(fx.layout.imageStagingDir())) {
            return false;
          }
          try (Stream<Path> files = Files.walk(fx.layout.imageStagingDir())) {
            return files.anyMatch(f -> f.endsWith("rootfs.ext4") && f.toFile().length() == size);
          }
        });

    JsonNode small =
        Await.call(
            Duration.ofSeconds(60),
            "a register while the huge one is checksummed",
            () -> register("small", ""));
    assertThat(small.path("name").asText()).isEqualTo("small");
    assertThat(fx.call("image.delete", "{\"image\": \"small\"}").toString()).contains("small");
    assertThat(hugeRegister.isDone()).as("the huge register is still checksumming").isFalse();
    // Closing the daemon interrupts it; its staging is removed and no image is published.
    fx.close();
    assertThatThrownBy(() -> Await.result(hugeRegister, "the interrupted huge register"))
        .isNotNull();
    assertThat(fx.layout.imageDir("huge")).doesNotExist();
  }

  @Test
  void twoRegistersOfOneNameRaceToOneImageAndOneConflict() throws Exception {
    List<Future<JsonNode>> registers = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      registers.add(
          Await.async(
              "register " + i,
              () -> {
                return register("twin", "");
              }));
    }
    int published = 0;
    List<String> conflicts = new ArrayList<>();
    for (Future<JsonNode> f : registers) {
      try {
        Await.result(f, "a register of twin");
        published++;
      } catch (AssertionError | Exception e) {
        conflicts.add(String.valueOf(e.getCause() == null ? e : e.getCause()));
      }
    }
    assertThat(published).as(conflicts.toString()).isEqualTo(1);
    assertThat(conflicts).singleElement().asString().contains("twin").contains("exists");
    try (Stream<Path> left = Files.list(fx.layout.imageStagingDir())) {
      assertThat(left).as("staging folders left").isEmpty();
    }
  }

  private JsonNode register(String name, String extra) {
    return fx.callWithFiles(
        "image.register",
        "{\"name\": \"" + name + "\", \"kernel_fd\": 0, \"rootfs_fd\": 1" + extra + "}",
        kernel,
        rootfs);
  }

  private static String createParams(String name, String image) {
    return "{\"name\": \"" + name + "\", \"image\": \"" + image + "\", \"no_start\": true}";
  }

  private static JsonNode last(List<JsonNode> seen) {
    return seen.get(seen.size() - 1);
  }

  private String sha256(Path file) throws Exception {
    return runner.check(Command.of("sha256sum", file.toString())).stdout().split(" ")[0];
  }

  /** A minimal x86-64 ELF64 executable with a PVH note, as imagemgr's tests build it. */
  static byte[] elfKernel() {
    byte[] note = pvhNote();
    int notesOffset = 64 + 2 * 56;
    byte[] payload = "a tiny kernel payload".getBytes(StandardCharsets.US_ASCII);
    int total = notesOffset + note.length + payload.length;
    long entry = 0x1000000L;
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
    b.position(16);
    b.putShort((short) 2).putShort((short) 62).putInt(1);
    b.putLong(entry).putLong(64).putLong(0).putInt(0);
    b.putShort((short) 64).putShort((short) 56).putShort((short) 2);
    b.putShort((short) 64).putShort((short) 0).putShort((short) 0);
    b.putInt(1).putInt(5).putLong(0).putLong(entry).putLong(entry);
    b.putLong(total).putLong(total).putLong(0x1000);
    b.putInt(4).putInt(4).putLong(notesOffset).putLong(0).putLong(0);
    b.putLong(note.length).putLong(note.length).putLong(4);
    b.put(note).put(payload);
    return b.array();
  }

  private static byte[] pvhNote() {
    ByteBuffer b = ByteBuffer.allocate(12 + 4 + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(4).putInt(4).putInt(18);
    b.put("Xen\0".getBytes(StandardCharsets.US_ASCII)).put(new byte[] {0, 0, 0, 1});
    return b.array();
  }
}
