package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.InvalidNameException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCatalogTest {
  private static final Instant CREATED = Instant.parse("2026-01-02T03:04:05Z");

  @TempDir Path images;

  @Test
  void aPublishedImageIsReadFromItsManifest() throws Exception {
    Path dir = image("base", true);
    ImageManifest manifest =
        new ImageManifest(
            "base",
            List.of(
                new ImageManifest.Entry(ImageFile.KERNEL, "aa", 10),
                new ImageManifest.Entry(ImageFile.ROOTFS, "bb", 20),
                new ImageManifest.Entry(ImageFile.INITRD, "cc", 3)),
            CREATED,
            Optional.of("quiet"));
    Files.writeString(dir.resolve(ImageManifest.FILE_NAME), manifest.toJson());

    ImageCatalog.Image image = new ImageCatalog(images).find("base").orElseThrow();

    assertThat(image.kernel()).isEqualTo(dir.resolve("vmlinux"));
    assertThat(image.initrd()).contains(dir.resolve("initrd"));
    assertThat(image.bootArgs()).isEqualTo("quiet");
    assertThat(image.sizeBytes()).isEqualTo(33);
    assertThat(image.sha256())
        .isEqualTo(Map.of("vmlinux", "aa", "rootfs.ext4", "bb", "initrd", "cc"));
    assertThat(image.createdAt()).isEqualTo(CREATED);
    assertThat(new ImageCatalog(images).bootFiles("base").bootArgs()).contains("quiet");
  }

  @Test
  void aHandMadeFolderHasItsFilesSizesAndNoChecksums() throws Exception {
    Path dir = image("hand", false);
    Files.setLastModifiedTime(dir, FileTime.from(CREATED));

    ImageCatalog.Image image = new ImageCatalog(images).find("hand").orElseThrow();

    assertThat(image.sizeBytes()).isEqualTo("kernel".length() + "rootfs".length());
    assertThat(image.sha256()).isEmpty();
    assertThat(image.bootArgs()).isEmpty();
    assertThat(image.initrd()).isEmpty();
    assertThat(image.createdAt()).isEqualTo(CREATED);
  }

  @Test
  void listingSkipsFoldersThatAreNoImagesAndSortsByName() throws Exception {
    image("zeta", false);
    image("alpha", false);
    Files.createDirectories(images.resolve("empty"));
    Files.createDirectories(images.resolve("Not A Name"));

    assertThat(new ImageCatalog(images).list())
        .extracting(ImageCatalog.Image::name)
        .containsExactly("alpha", "zeta");
    assertThat(new ImageCatalog(images.resolve("missing")).list()).isEmpty();
  }

  @Test
  void aMissingImageIsEmptyOrNamesTheFileItLacks() throws Exception {
    Files.createDirectories(images.resolve("half"));
    Files.writeString(images.resolve("half/vmlinux"), "kernel");
    ImageCatalog catalog = new ImageCatalog(images);

    assertThat(catalog.find("half")).isEmpty();
    assertThat(catalog.find("none")).isEmpty();
    assertThatThrownBy(() -> catalog.bootFiles("half"))
        .isInstanceOf(ImageNotFoundException.class)
        .hasMessageContaining("image 'half' not found: " + images.resolve("half"))
        .hasMessageContaining("has no rootfs.ext4");
    assertThat(catalog.bootFilesUnchecked("gone").kernel())
        .isEqualTo(images.resolve("gone/vmlinux"));
    assertThatThrownBy(() -> catalog.find("Bad Name")).isInstanceOf(InvalidNameException.class);
  }

  @Test
  void aBrokenManifestIsAReadError() throws Exception {
    Path dir = image("broken", false);
    Files.writeString(dir.resolve(ImageManifest.FILE_NAME), "{");

    assertThatThrownBy(() -> new ImageCatalog(images).find("broken"))
        .isInstanceOf(ImageReadException.class)
        .hasMessageContaining(dir.resolve(ImageManifest.FILE_NAME).toString());
  }

  private Path image(String name, boolean initrd) throws Exception {
    Path dir = Files.createDirectories(images.resolve(name));
    Files.writeString(dir.resolve("vmlinux"), "kernel");
    Files.writeString(dir.resolve("rootfs.ext4"), "rootfs");
    if (initrd) {
      Files.writeString(dir.resolve("initrd"), "ird");
    }
    return dir;
  }
}
