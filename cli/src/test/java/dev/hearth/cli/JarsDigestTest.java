package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The digest the launcher compares to tell a rebuilt distribution (see {@link JarsDigest}). */
class JarsDigestTest {
  @TempDir Path dir;

  private Path jar(String name, String contents) throws Exception {
    Path jar = dir.resolve(name);
    Files.writeString(jar, contents, StandardCharsets.UTF_8);
    // As the build writes every jar: one fixed date.
    Files.setLastModifiedTime(jar, FileTime.fromMillis(1_764_115_200_000L));
    return jar;
  }

  @Test
  void aJarRewrittenWithTheSameSizeAndDateChangesTheDigest() throws Exception {
    Path a = jar("a.jar", "version 1");
    Path b = jar("b.jar", "unchanged");
    String before = JarsDigest.digest(List.of(a, b));
    jar("a.jar", "version 2");
    assertThat(JarsDigest.digest(List.of(a, b))).isNotEqualTo(before).hasSize(64);
  }

  @Test
  void theSameJarsGiveTheSameDigestInAnyOrderAndFolder() throws Exception {
    Path a = jar("a.jar", "one");
    Path b = jar("b.jar", "two");
    Path elsewhere = Files.createDirectories(dir.resolve("copy"));
    Path a2 = Files.copy(a, elsewhere.resolve("a.jar"));
    Path b2 = Files.copy(b, elsewhere.resolve("b.jar"));
    assertThat(JarsDigest.digest(List.of(b2, a2))).isEqualTo(JarsDigest.digest(List.of(a, b)));
  }

  @Test
  void aRenamedJarOrContentsMovedBetweenJarsChangeTheDigest() throws Exception {
    String base = JarsDigest.digest(List.of(jar("a.jar", "xy"), jar("b.jar", "z")));
    Files.delete(dir.resolve("a.jar"));
    Files.delete(dir.resolve("b.jar"));
    assertThat(JarsDigest.digest(List.of(jar("a.jar", "x"), jar("b.jar", "yz"))))
        .isNotEqualTo(base);
    assertThat(JarsDigest.digest(List.of(jar("c.jar", "x"), jar("b.jar", "yz"))))
        .isNotEqualTo(base);
  }

  @Test
  void mainWritesTheDigestOfAFolderAndAFileOnOneLine() throws Exception {
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Files.writeString(lib.resolve("dep.jar"), "dep");
    Files.writeString(lib.resolve("notes.txt"), "not a jar");
    Path cli = jar("cli.jar", "cli");
    Path out = dir.resolve("hearth.jars");
    JarsDigest.main(new String[] {out.toString(), lib.toString(), cli.toString()});
    assertThat(Files.readString(out))
        .isEqualTo(JarsDigest.digest(List.of(lib.resolve("dep.jar"), cli)) + "\n");
  }
}
