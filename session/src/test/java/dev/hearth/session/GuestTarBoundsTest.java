package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.Await;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GuestTarExtractor}'s memory and threads under a hostile archive: what Commons Compress and
 * the extractor keep across entries is bounded, and a reader that dies of an Error fails the copy
 * instead of leaving its writer waiting.
 */
class GuestTarBoundsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  @TempDir Path root;
  private Path dest;

  @BeforeEach
  void sandbox() throws IOException {
    dest = Files.createDirectories(root.resolve("dest"));
  }

  @Test
  void aReaderThatDiesOfAnErrorFailsTheWritesAndTheCopyAndLeavesNothing() throws Exception {
    byte[] chunk = new byte[64 * 1024];
    try (GuestTarExtractor.Receiver receiver =
        GuestTarExtractor.receive(dest, "d", ArchiveLimits.DEFAULT, GuestTarBoundsTest::dying)) {
      // More chunks than the pipe holds: were the reader's end not marked gone, a write would wait.
      IOException refused =
          Await.call(
              DEADLINE,
              "writes to a copy whose reader died",
              () -> {
                try {
                  for (int i = 0; i < 4 * ArchivePipe.CHUNKS; i++) {
                    receiver.archive().write(chunk);
                  }
                  return null;
                } catch (IOException e) {
                  return e;
                }
              });
      assertThat(refused)
          .isNotNull()
          .hasMessage("unpacking the copy failed: java.lang.OutOfMemoryError: no room left");
      GuestArchiveException failed =
          Await.call(
              DEADLINE,
              "the finish of a copy whose reader died",
              () -> {
                try {
                  receiver.finish();
                  return null;
                } catch (GuestArchiveException e) {
                  return e;
                }
              });
      assertThat(failed).isNotNull().hasMessage(refused.getMessage());
      assertThat(failed.kind()).isEqualTo(GuestArchiveException.Kind.FAILED);
      assertThat(receiver.failure()).contains(failed);
      assertThat(dest).as("the private folder, removed by the failed finish").isEmptyDirectory();
    }
    assertThat(dest).isEmptyDirectory();
  }

  @Test
  void globalPaxHeadersPastTheirBudgetInAllFailTheCopy() throws IOException {
    // Each is far under the per-entry header budget; Commons Compress keeps them all.
    int each = GuestTarInput.GLOBAL_PAX_BUDGET / 2 + 1024;
    byte[] tar =
        new Raw()
            .globalPax("hearth.a", each)
            .folder("d")
            .globalPax("hearth.b", each)
            .file("d/x")
            .end();

    assertThatThrownBy(() -> unpack(tar, ArchiveLimits.DEFAULT))
        .isInstanceOfSatisfying(
            GuestArchiveException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.TOO_LARGE))
        .hasMessage(
            "the archive from the guest has more than "
                + GuestTarInput.GLOBAL_PAX_BUDGET
                + " bytes of global PAX headers");
    assertThat(dest).isEmptyDirectory();
  }

  @Test
  void aChainOfHeadersAheadOfOneEntryFailsTheCopyAtItsBound() throws Exception {
    // 2000 empty PAX headers fit in the header budget; read by recursion, they overflowed the
    // stack of the receiver's thread.
    Raw raw = new Raw();
    for (int i = 0; i < 2000; i++) {
      raw.entry(
          new TarArchiveEntry("pax", TarConstants.LF_PAX_EXTENDED_HEADER_LC, true), new byte[0]);
    }
    byte[] tar = raw.file("d").end();
    assertThat(tar.length).isLessThan(TarEntries.HEADER_BUDGET);

    try (GuestTarExtractor.Receiver receiver =
        GuestTarExtractor.receive(dest, "d", ArchiveLimits.DEFAULT)) {
      GuestArchiveException failed =
          Await.call(
              DEADLINE,
              "a copy of a chain of headers",
              () -> {
                try {
                  receiver.archive().write(tar);
                } catch (IOException e) {
                  // The unpacking stopped: finish says why.
                }
                try {
                  receiver.finish();
                  return null;
                } catch (GuestArchiveException e) {
                  return e;
                }
              });
      assertThat(failed)
          .isNotNull()
          .hasMessage(
              "the archive from the guest has more than "
                  + GuestTarInput.MAX_HEADERS
                  + " headers for one entry");
      assertThat(failed.kind()).isEqualTo(GuestArchiveException.Kind.TOO_LARGE);
    }
    assertThat(dest).isEmptyDirectory();
  }

  @Test
  void aSmallGlobalPaxHeaderIsAccepted() {
    byte[] tar = new Raw().globalPax("comment", 100).folder("d").file("d/x").end();

    Unpacked unpacked = unpack(tar, ArchiveLimits.DEFAULT);

    assertThat(unpacked.refused()).isEmpty();
    assertThat(dest.resolve("d/x")).hasContent("x");
  }

  @Test
  void foldersPastTheBudgetForTheirNamesFailTheCopy() throws IOException {
    // Paths of 92 bytes: each folder keeps 92 + 256 bytes, 40 of them past a budget of 10000.
    String longName = "n".repeat(90);
    Raw raw = new Raw().folder("d");
    for (int i = 0; i < 40; i++) {
      raw.folder("d/" + i + longName.substring(String.valueOf(i).length()));
    }
    byte[] tar = raw.end();
    Path staging = Files.createDirectories(root.resolve("staging"));
    TarEntries entries = new TarEntries(staging, "d", ArchiveLimits.DEFAULT, 10_000);

    assertThatThrownBy(() -> entries.readAll(new ByteArrayInputStream(tar)))
        .isInstanceOfSatisfying(
            GuestArchiveException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.TOO_LARGE))
        .hasMessage(
            "the archive from the guest has more folders than 10000 bytes can keep (their"
                + " paths, plus "
                + StagedFolders.COST
                + " bytes each)");
    try (Stream<Path> made = Files.list(staging.resolve("d"))) {
      assertThat(made.count()).as("folders made before the bound").isLessThan(40);
    }
  }

  @Test
  void aFolderNamedAgainIsKeptOnceAndGetsItsLastMode() throws IOException {
    Raw raw = new Raw().folder("d");
    for (int i = 0; i < 100; i++) {
      raw.folder("d/same", 0700 + (i == 99 ? 050 : 0));
    }
    Path staging = Files.createDirectories(root.resolve("staging"));
    TarEntries entries = new TarEntries(staging, "d", ArchiveLimits.DEFAULT, 1_000);
    entries.readAll(new ByteArrayInputStream(raw.end()));
    Path placed = Files.createDirectories(root.resolve("placed/d/same"));

    entries.folders().apply(placed.getParent());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(placed)))
        .isEqualTo("rwxr-x---");
  }

  private Unpacked unpack(byte[] tar, ArchiveLimits limits) {
    return GuestTarExtractor.unpack(new ByteArrayInputStream(tar), dest, "d", limits);
  }

  /** The pipe's source as an unpacking that runs out of memory at its first read sees it. */
  private static InputStream dying(InputStream source) {
    return new FilterInputStream(source) {
      @Override
      public int read() {
        throw new OutOfMemoryError("no room left");
      }

      @Override
      public int read(byte[] b, int off, int len) {
        throw new OutOfMemoryError("no room left");
      }
    };
  }

  /**
   * A tar written record by record (Commons Compress's writer handles global PAX headers itself and
   * buffers whole blocks, so it cannot interleave them as a hostile tar does).
   */
  private static final class Raw {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Raw globalPax(String key, int recordBytes) {
      // A PAX record is "<length> <key>=<value>\n", its length counting itself.
      String body = " " + key + "=";
      int valueBytes = recordBytes - body.length() - 1 - String.valueOf(recordBytes).length();
      String record = recordBytes + body + "v".repeat(valueBytes) + "\n";
      assertThat(record).hasSize(recordBytes);
      TarArchiveEntry entry =
          new TarArchiveEntry(
              "pax_global_header", TarConstants.LF_PAX_GLOBAL_EXTENDED_HEADER, true);
      return entry(entry, record.getBytes(StandardCharsets.UTF_8));
    }

    Raw folder(String name) {
      return folder(name, 0755);
    }

    Raw folder(String name, int mode) {
      TarArchiveEntry entry = new TarArchiveEntry(name + "/", TarConstants.LF_DIR, true);
      entry.setMode(mode);
      return entry(entry, new byte[0]);
    }

    Raw file(String name) {
      TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
      entry.setMode(0644);
      return entry(entry, new byte[] {'x'});
    }

    Raw entry(TarArchiveEntry entry, byte[] data) {
      entry.setSize(data.length);
      entry.setModTime(Tars.MTIME);
      byte[] header = new byte[512];
      entry.writeEntryHeader(header);
      out.writeBytes(header);
      out.writeBytes(data);
      out.writeBytes(new byte[(512 - data.length % 512) % 512]);
      return this;
    }

    byte[] end() {
      out.writeBytes(new byte[1024]);
      return out.toByteArray();
    }
  }
}
