package dev.hearth.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module rules for {@code bench} (cli's ModuleRulesTest checks the other modules): the
 * benchmarks drive hearth as a user does, through public API only, so they keep their classes in
 * bench's own package and use no {@code .internal} class of any module.
 */
class BenchRulesTest {
  static JavaClasses classes;

  @BeforeAll
  static void importBench() {
    Path dir = Path.of("target/classes").toAbsolutePath();
    assertThat(dir).as("bench's compiled classes").isDirectory();
    classes = new ClassFileImporter().importPath(dir);
    assertThat(classes).as("classes in %s", dir).isNotEmpty();
  }

  @Test
  void benchKeepsItsClassesInItsOwnPackage() {
    classes().should().resideInAPackage("dev.hearth.bench..").check(classes);
  }

  @Test
  void benchUsesNoInternalClass() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.hearth..internal..")
        .check(classes);
  }
}
