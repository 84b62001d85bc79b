package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GuestTarExtractor} on crafted archives: an honest tree lands whole with its modes, and
 * every kind of hostile entry is refused and named, with nothing written outside the destination.
 */
class GuestTarExtractorTest {
  @TempDir Path root;
  private Path dest;
  private List<String> before;

  @BeforeEach
  void sandbox() throws IOException {
    // dest is the folder the copy goes into; a file beside it stands for the rest of the host.
    dest = Files.createDirectories(root.resolve("home/user/dest"));
    Files.writeString(root.resolve("home/user/.bashrc"), "honest\n");
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/passwd"), "root:x:0:0\n");
    before = outsideDest();
  }

  @Test
  void anHonestTreeLandsWholeWithItsModesTimesAndLinks() throws Exception {
    byte[] tar =
        new Tars()
            .folder("tree", 0750)
            .file("tree/plain.txt", 0644, "plain\n")
            .file("tree/run.sh", 0750, "#!/bin/sh\n")
            .folder("tree/sub dir", 0700)
            .file("tree/sub dir/secret", 0600, "secret\n")
            .folder("tree/ro", 0555)
            .file("tree/ro/kept", 0444, "kept\n")
            .symlink("tree/link", "sub dir/secret")
            .symlink("tree/sub dir/up", "../plain.txt")
            .hardLink("tree/hard", "tree/plain.txt")
            .folder("tree/empty", 0755)
            .bytes();

    Unpacked unpacked = unpack(tar, dest, "tree");

    Path tree = dest.resolve("tree");
    assertThat(unpacked.path()).isEqualTo(tree);
    assertThat(unpacked.refused()).isEmpty();
    assertThat(unpacked.refusedCount()).isZero();
    assertThat(unpacked.archiveBytes()).isEqualTo(tar.length);
    assertThat(mode(tree)).isEqualTo("rwxr-x---");
    assertThat(mode(tree.resolve("run.sh"))).isEqualTo("rwxr-x---");
    assertThat(mode(tree.resolve("sub dir"))).isEqualTo("rwx------");
    assertThat(mode(tree.resolve("sub dir/secret"))).isEqualTo("rw-------");
    assertThat(mode(tree.resolve("ro"))).isEqualTo("r-xr-xr-x");
    assertThat(tree.resolve("ro/kept")).hasContent("kept");
    assertThat(Files.readSymbolicLink(tree.resolve("link"))).isEqualTo(Path.of("sub dir/secret"));
    assertThat(tree.resolve("sub dir/up")).hasContent("plain");
    assertThat(Files.isSameFile(tree.resolve("hard"), tree.resolve("plain.txt"))).isTrue();
    assertThat(tree.resolve("empty")).isEmptyDirectory();
    assertThat(Files.getLastModifiedTime(tree.resolve("plain.txt")))
        .isEqualTo(FileTime.from(Tars.MTIME.toInstant()));
    assertThat(Files.getLastModifiedTime(tree)).isEqualTo(FileTime.from(Tars.MTIME.toInstant()));
    assertThat(Files.getOwner(tree.resolve("plain.txt")))
        .as("the archive says uid 1234; the copy is the caller's")
        .isEqualTo(Files.getOwner(root));
    assertNothingElseChanged();
  }

  @Test
  void aNewNameReplacesAFileAndFoldersMerge() throws Exception {
    Path renamed = dest.resolve("renamed.txt");
    Files.writeString(renamed, "old\n");
    unpack(new Tars().file("notes.txt", 0640, "new\n").bytes(), renamed, "notes.txt");
    assertThat(renamed).hasContent("new");
    assertThat(mode(renamed)).isEqualTo("rw-r-----");

    Path existing = Files.createDirectories(dest.resolve("tree"));
    Files.writeString(existing.resolve("mine"), "mine\n");
    unpack(new Tars().folder("tree", 0755).file("tree/theirs", 0644, "x").bytes(), dest, "tree");
    assertThat(existing.resolve("mine")).hasContent("mine");
    assertThat(existing.resolve("theirs")).hasContent("x");
    assertNothingElseChanged();
  }

  @Test
  void aFolderNeverReplacesAFileNorAFileAFolder() throws Exception {
    Files.writeString(dest.resolve("tree"), "a file\n");
    assertThatThrownBy(() -> unpack(new Tars().folder("tree", 0755).bytes(), dest, "tree"))
        .isInstanceOfSatisfying(
            GuestArchiveException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.WRONG_KIND))
        .hasMessageContaining("cannot overwrite the file " + dest.resolve("tree"));

    Files.createDirectories(dest.resolve("f"));
    assertThatThrownBy(() -> unpack(new Tars().file("f", 0644, "x").bytes(), dest, "f"))
        .isInstanceOfSatisfying(
            GuestArchiveException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.WRONG_KIND));
    assertThat(dest.resolve("tree")).hasContent("a file");
    assertNothingElseChanged();
  }

  @Test
  void aMissingFolderIsNotFound() {
    assertThatThrownBy(
            () -> unpack(new Tars().file("x", 0644, "x").bytes(), dest.resolve("a/b"), "x"))
        .isInstanceOfSatisfying(
            GuestArchiveException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.NOT_FOUND))
        .hasMessage("no such folder: " + dest.resolve("a"));
  }

  @Test
  void everyHostileKindIsRefusedAndNamedAndOnlyTheHonestFileLands() throws Exception {
    byte[] tar =
        new Tars()
            .folder("d", 0755)
            .file("d/honest.txt", 0644, "honest\n")
            .file("/etc/passwd", 0644, "pwned\n")
            .file("d/../../.bashrc", 0644, "pwned\n")
            .file("../.bashrc", 0644, "pwned\n")
            .file(".git/hooks/pre-commit", 0755, "pwned\n")
            .symlink("d/abs", "/etc/passwd")
            .symlink("d/up", "../../.bashrc")
            .symlink("d/outandback", "../d/honest.txt")
            .symlink("d/sub", "inner")
            .folder("d/inner", 0755)
            .file("d/sub/through", 0644, "through a link\n")
            .hardLink("d/hardabs", "/etc/passwd")
            .hardLink("d/hardup", "d/../../.bashrc")
            .hardLink("d/hardmissing", "d/nothing")
            .special("d/null", TarConstants.LF_CHR)
            .special("d/disk", TarConstants.LF_BLK)
            .special("d/fifo", TarConstants.LF_FIFO)
            .special("d/volume", (byte) 'V')
            .file("d/suid", 04755, "suid\n")
            .file("d/sgid", 02755, "sgid\n")
            .folder("d/sticky", 01777)
            .bytes();

    Unpacked unpacked = unpack(tar, dest, "d");

    assertThat(unpacked.refused())
        .extracting(RefusedEntry::name, RefusedEntry::reason)
        .containsExactly(
            tuple("/etc/passwd", "an absolute path"),
            tuple("d/../../.bashrc", "a path with '..'"),
            tuple("../.bashrc", "a path with '..'"),
            tuple(".git/hooks/pre-commit", "not under 'd', the entry asked for"),
            tuple("d/abs", "a symbolic link to '/etc/passwd', outside the copy"),
            tuple("d/up", "a symbolic link to '../../.bashrc', outside the copy"),
            tuple("d/outandback", "a symbolic link to '../d/honest.txt', outside the copy"),
            tuple("d/sub/through", "inside 'd/sub', which is a link or a file, not a folder"),
            tuple("d/hardabs", "a hard link to '/etc/passwd', outside the copy"),
            tuple("d/hardup", "a hard link to 'd/../../.bashrc', outside the copy"),
            tuple(
                "d/hardmissing", "a hard link to 'd/nothing', which is not a file this copy wrote"),
            tuple("d/null", "a device"),
            tuple("d/disk", "a device"),
            tuple("d/fifo", "a FIFO"),
            tuple("d/volume", "an entry of type 'V'"),
            tuple("d/suid", "a setuid or setgid file"),
            tuple("d/sgid", "a setuid or setgid file"));
    assertThat(unpacked.refusedCount()).isEqualTo(17);
    Path d = dest.resolve("d");
    assertThat(tree(d))
        .containsExactlyInAnyOrder("d", "d/honest.txt", "d/sub", "d/inner", "d/sticky");
    assertThat(Files.readSymbolicLink(d.resolve("sub"))).isEqualTo(Path.of("inner"));
    assertThat(d.resolve("inner")).isEmptyDirectory();
    assertThat(mode(d.resolve("sticky"))).as("sticky bit dropped").isEqualTo("rwxrwxrwx");
    assertThat(root.resolve("etc/passwd")).hasContent("root:x:0:0");
    assertThat(root.resolve("home/user/.bashrc")).hasContent("honest");
    assertNothingElseChanged();
  }

  @Test
  void theRequestedEntryAsALinkIsRefusedAndNothingIsCopied() throws Exception {
    byte[] tar = new Tars().symlink("localtime", "/usr/share/zoneinfo/UTC").bytes();
    assertThatThrownBy(() -> unpack(tar, dest, "localtime"))
        .isInstanceOfSatisfying(
            GuestArchiveException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.FAILED))
        .hasMessage(
            "nothing was copied to "
                + dest.resolve("localtime")
                + " from 'localtime': it was refused (a symbolic link to"
                + " '/usr/share/zoneinfo/UTC', outside the copy)");
    assertThatThrownBy(() -> unpack(new Tars().file("other", 0644, "x").bytes(), dest, "wanted"))
        .hasMessageEndingWith("from 'wanted': the archive held no entry of that name");
    assertNothingElseChanged();
  }

  @Test
  void escapeSequencesInNamesAreEscapedInReasons() throws Exception {
    byte[] tar = new Tars().file("d/ok", 0644, "x").symlink("d/l", "/\u001b]0;pwned\u0007").bytes();
    Unpacked unpacked = unpack(tar, dest, "d");
    assertThat(unpacked.refused().get(0).reason())
        .isEqualTo("a symbolic link to '/\\x1b]0;pwned\\x07', outside the copy");
  }

  @Test
  void aLinkWhoseDotDotComesAfterANameIsRefusedWhicheverOfTheChainComesFirst() throws Exception {
    // On disk d/a/up is d and d/here is d: textually inside, these targets climb out through them.
    String far = "a/up/a/up/../../../.ssh/authorized_keys";
    String why = ", with '..' after a name (a link on its way could leave the copy)";
    List<List<String[]>> chains =
        List.of(
            List.of(new String[] {"d/a/up", ".."}, new String[] {"d/esc", far}),
            List.of(new String[] {"d/esc", far}, new String[] {"d/a/up", ".."}),
            List.of(new String[] {"d/here", "."}, new String[] {"d/esc", "here/.."}),
            List.of(new String[] {"d/esc", "here/.."}, new String[] {"d/here", "."}));
    for (int i = 0; i < chains.size(); i++) {
      Tars tars = new Tars().folder("d", 0755).folder("d/a", 0755);
      chains.get(i).forEach(link -> tars.symlink(link[0], link[1]));
      Path into = Files.createDirectories(dest.resolve("chain" + i));
      Unpacked unpacked = unpack(tars.bytes(), into, "d");
      String target = i < 2 ? far : "here/..";
      assertThat(unpacked.refused())
          .as("chain %d", i)
          .extracting(RefusedEntry::name, RefusedEntry::reason)
          .containsExactly(tuple("d/esc", "a symbolic link to '" + target + "'" + why));
      assertThat(into.resolve("d/esc")).as("chain %d", i).doesNotExist();
      assertThat(Files.isSymbolicLink(into.resolve(i < 2 ? "d/a/up" : "d/here"))).isTrue();
    }
    assertNothingElseChanged();
  }

  @Test
  void ordinaryRelativeLinksStillLandEvenThroughOtherLinks() throws Exception {
    byte[] tar =
        new Tars()
            .file("usr/lib/libfoo.so.1", 0755, "elf\n")
            .symlink("usr/lib/libfoo.so", "libfoo.so.1")
            .symlink("usr/lib64", "lib")
            .file("usr/lib/python3/bin/python", 0755, "py\n")
            .symlink("usr/bin/python", "../lib/python3/bin/python")
            .symlink("usr/bin/foo", "./../lib64/libfoo.so")
            .bytes();
    Unpacked unpacked = unpack(tar, dest, "usr");
    assertThat(unpacked.refused()).isEmpty();
    assertThat(dest.resolve("usr/bin/python")).hasContent("py");
    assertThat(dest.resolve("usr/bin/foo")).hasContent("elf");
    assertThat(Files.readSymbolicLink(dest.resolve("usr/bin/foo")))
        .isEqualTo(Path.of("./../lib64/libfoo.so"));
    assertNothingElseChanged();
  }

  @Test
  void pastEachBoundTheCopyFailsAndLeavesNothing() throws IOException {
    Tars many = new Tars().folder("d", 0755);
    for (int i = 0; i < 11; i++) {
      many.file("d/f" + i, 0644, "x");
    }
    assertTooLarge(many.bytes(), new ArchiveLimits(10, 4096, 1 << 20), "more than 10 entries");

    assertTooLarge(
        new Tars().file("d/" + "n".repeat(200), 0644, "x").bytes(),
        new ArchiveLimits(100, 100, 1 << 20),
        "an entry's name of more than 100 bytes");
    assertTooLarge(
        new Tars().file("d/x", 0644, "y".repeat(100_000)).bytes(),
        new ArchiveLimits(100, 4096, 50_000),
        "more than 50000 bytes");
    assertTooLarge(
        Tars.withLongName("d", 2 * 1024 * 1024),
        new ArchiveLimits(100, Integer.MAX_VALUE, 1L << 30),
        "more than " + TarEntries.HEADER_BUDGET + " bytes of headers for one entry");
  }

  @Test
  void notATarFailsAndLeavesNothing() throws Exception {
    byte[] noise = new byte[4096];
    new Random(1).nextBytes(noise);
    assertThatThrownBy(() -> unpack(noise, dest, "d"))
        .isInstanceOfSatisfying(
            GuestArchiveException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.FAILED))
        .hasMessageStartingWith("the archive from the guest is not a tar this copy can read");
    assertNothingElseChanged();
    assertThat(dest).isEmptyDirectory();
  }

  @Test
  void onlyTheFirstRefusedEntriesAreKeptByName() throws Exception {
    Tars tars = new Tars().file("d/ok", 0644, "x");
    for (int i = 0; i < 150; i++) {
      tars.special("d/dev" + i, TarConstants.LF_CHR);
    }
    Unpacked unpacked = unpack(tars.bytes(), dest, "d");
    assertThat(unpacked.refused()).hasSize(GuestTarExtractor.REFUSED_KEPT);
    assertThat(unpacked.refusedCount()).isEqualTo(150);
  }

  @Test
  void aReceiverUnpacksWhatIsWrittenFromAnotherThread() throws Exception {
    byte[] tar = new Tars().folder("d", 0700).file("d/a", 0600, "a".repeat(300_000)).bytes();
    try (GuestTarExtractor.Receiver receiver =
        GuestTarExtractor.receive(dest, "d", ArchiveLimits.DEFAULT)) {
      Thread writer =
          new Thread(
              () -> {
                try {
                  OutputStream out = receiver.archive();
                  for (int at = 0; at < tar.length; at += 1000) {
                    out.write(tar, at, Math.min(1000, tar.length - at));
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      writer.start();
      writer.join();
      Unpacked unpacked = receiver.finish();
      assertThat(unpacked.path()).isEqualTo(dest.resolve("d"));
    }
    assertThat(Files.size(dest.resolve("d/a"))).isEqualTo(300_000);
    assertNothingElseChanged();
  }

  @Test
  void aReceiverPastABoundFailsItsWritesAndLeavesNothing() throws Exception {
    byte[] tar = new Tars().file("d", 0600, "a".repeat(300_000)).bytes();
    try (GuestTarExtractor.Receiver receiver =
        GuestTarExtractor.receive(dest, "d", new ArchiveLimits(10, 4096, 100_000))) {
      assertThatThrownBy(
              () -> {
                for (int at = 0; at < tar.length; at += 1000) {
                  receiver.archive().write(tar, at, Math.min(1000, tar.length - at));
                }
              })
          .isInstanceOf(IOException.class)
          .hasMessage("the archive from the guest has more than 100000 bytes");
      assertThat(receiver.failure()).isPresent();
      assertThatThrownBy(receiver::finish)
          .isInstanceOfSatisfying(
              GuestArchiveException.class,
              e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.TOO_LARGE));
    }
    assertThat(dest).isEmptyDirectory();
    assertNothingElseChanged();
  }

  @Test
  void aReceiverRefusesEndlessBytesAfterTheArchivesEnd() throws Exception {
    byte[] tar = new Tars().file("d", 0600, "a").bytes();
    try (GuestTarExtractor.Receiver receiver =
        GuestTarExtractor.receive(dest, "d", ArchiveLimits.DEFAULT)) {
      assertThatThrownBy(
              () -> {
                receiver.archive().write(tar);
                byte[] junk = new byte[64 * 1024];
                for (int i = 0; i < 100; i++) {
                  receiver.archive().write(junk);
                }
              })
          .isInstanceOf(IOException.class)
          .hasMessageContaining("past its end");
    }
    assertThat(dest).isEmptyDirectory();
  }

  @Test
  void anAbandonedReceiverRemovesItsPrivateFolder() throws Exception {
    try (GuestTarExtractor.Receiver receiver =
        GuestTarExtractor.receive(dest, "d", ArchiveLimits.DEFAULT)) {
      receiver.archive().write(new Tars().folder("d", 0755).bytes(), 0, 512);
      try (Stream<Path> staged = Files.list(dest)) {
        Path staging = staged.findFirst().orElseThrow();
        assertThat(staging.getFileName().toString()).startsWith(".hearth-cp.");
        assertThat(mode(staging)).isEqualTo("rwx------");
      }
    }
    assertThat(dest).isEmptyDirectory();
  }

  private static Unpacked unpack(byte[] tar, Path destination, String name) {
    return GuestTarExtractor.unpack(
        new ByteArrayInputStream(tar), destination, name, ArchiveLimits.DEFAULT);
  }

  private void assertTooLarge(byte[] tar, ArchiveLimits limits, String what) throws IOException {
    assertThatThrownBy(
            () -> GuestTarExtractor.unpack(new ByteArrayInputStream(tar), dest, "d", limits))
        .isInstanceOfSatisfying(
            GuestArchiveException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestArchiveException.Kind.TOO_LARGE))
        .hasMessage("the archive from the guest has " + what);
    assertThat(dest).isEmptyDirectory();
    assertNothingElseChanged();
  }

  private void assertNothingElseChanged() throws IOException {
    assertThat(outsideDest()).as("the host outside the destination").isEqualTo(before);
    try (Stream<Path> staged = Files.list(dest)) {
      assertThat(staged.map(p -> p.getFileName().toString()))
          .as("private folders left")
          .noneMatch(n -> n.startsWith(".hearth-cp."));
    }
  }

  /** Every path under the sandbox but the destination's, with its content or link target. */
  private List<String> outsideDest() throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted().toList()) {
        if (p.startsWith(dest) && !p.equals(dest)) {
          continue;
        }
        String what =
            Files.isSymbolicLink(p)
                ? "-> " + Files.readSymbolicLink(p)
                : Files.isDirectory(p) ? "/" : Files.readString(p);
        found.add(root.relativize(p) + " " + mode(p) + " " + what);
      }
    }
    return found;
  }

  private static List<String> tree(Path top) throws IOException {
    try (Stream<Path> paths = Files.walk(top)) {
      return paths.map(p -> top.getParent().relativize(p).toString()).toList();
    }
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }
}
