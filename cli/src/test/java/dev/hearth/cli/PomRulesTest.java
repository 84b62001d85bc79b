package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Keeps the build-time halves of the module rules in place: each module's pom bans exactly the
 * hearth modules that ARCHITECTURE.md ("Allowed dependencies and how they are enforced") forbids
 * it, and the root pom fails the build on dependency analysis warnings. (Removing a ban would
 * otherwise go unnoticed until someone adds the edge.)
 */
class PomRulesTest {
  /** The allowed edges of ARCHITECTURE.md's "Allowed dependencies", per module. */
  static final Map<String, Set<String>> ALLOWED =
      Map.of(
          "core",
          Set.of(),
          "opstate",
          Set.of("core"),
          "dmsnap",
          Set.of("core"),
          "fcproc",
          Set.of("core"),
          "imagemgr",
          Set.of("core"),
          "session",
          Set.of("core"),
          "workspace",
          Set.of("core", "session"),
          "daemon",
          Set.of("core", "opstate", "dmsnap", "fcproc", "imagemgr", "session", "workspace"),
          "qemu",
          Set.of("core", "fcproc"),
          // qemu: at run time only, so that its jar is in the distribution's lib/.
          "cli",
          Set.of("core", "daemon", "qemu"));

  private static final Pattern BANNED = Pattern.compile("<exclude>dev\\.hearth:([a-z]+)</exclude>");
  private static final Pattern DECLARED =
      Pattern.compile(
          "<dependency>\\s*<groupId>dev\\.hearth</groupId>\\s*<artifactId>([a-z]+)</artifactId>"
              + "(?:(?!</dependency>).)*</dependency>",
          Pattern.DOTALL);

  private final Path root = Path.of("").toAbsolutePath().getParent();

  @Test
  void everyModuleBansExactlyTheModulesItMayNotUse() throws Exception {
    for (String module : ModuleRulesTest.MODULES) {
      String pom = Files.readString(root.resolve(module).resolve("pom.xml"));
      Set<String> expected = new TreeSet<>(ModuleRulesTest.MODULES);
      expected.remove(module);
      expected.removeAll(ALLOWED.get(module));
      assertThat(matches(BANNED, pom))
          .as("modules banned in %s/pom.xml", module)
          .containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @Test
  void noModuleDeclaresAForbiddenHearthDependency() throws Exception {
    for (String module : ModuleRulesTest.MODULES) {
      String pom = Files.readString(root.resolve(module).resolve("pom.xml"));
      List<String> declared = new ArrayList<>();
      Matcher m = DECLARED.matcher(pom);
      while (m.find()) {
        if (!m.group().contains("<scope>test</scope>")) {
          declared.add(m.group(1));
        }
      }
      assertThat(ALLOWED.get(module)).as("hearth dependencies of %s", module).containsAll(declared);
    }
  }

  @Test
  void dependencyAnalysisFailsTheBuild() throws Exception {
    String pom = Files.readString(root.resolve("pom.xml"));
    assertThat(pom)
        .contains("<goal>analyze-only</goal>")
        .contains("<failOnWarning>true</failOnWarning>");
    assertThat(pom).contains("<goal>enforce</goal>").contains("<bannedDependencies>");
  }

  private static List<String> matches(Pattern p, String text) {
    List<String> out = new ArrayList<>();
    Matcher m = p.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
