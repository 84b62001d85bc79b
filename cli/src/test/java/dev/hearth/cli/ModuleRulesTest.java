package dev.hearth.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.LineListener;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module rules (ARCHITECTURE.md, "Allowed dependencies and how they are enforced"), checked on
 * the compiled production classes of every module (the third enforcement next to maven-enforcer and
 * dependency:analyze). The classes are read from each module's target/classes, so the rules see all
 * ten modules even though cli depends on only three of them. {@code bench} has rules of its own
 * (BenchRulesTest).
 */
class ModuleRulesTest {
  static final List<String> MODULES =
      List.of(
          "core",
          "opstate",
          "dmsnap",
          "fcproc",
          "imagemgr",
          "session",
          "workspace",
          "daemon",
          "qemu",
          "cli");
  static final List<String> LEAVES =
      List.of("opstate", "dmsnap", "fcproc", "imagemgr", "session", "workspace");

  static JavaClasses classes;

  @BeforeAll
  static void importAllModules() {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<Path> dirs = new ArrayList<>();
    for (String m : MODULES) {
      Path dir = root.resolve(m).resolve("target/classes");
      assertThat(dir)
          .as("compiled classes of module %s; build the whole reactor (./mvnw verify)", m)
          .isDirectory();
      dirs.add(dir);
    }
    classes = new ClassFileImporter().importPaths(dirs);
    assertThat(classes.stream().map(c -> c.getPackageName()).distinct())
        .as("every module contributes classes")
        .anyMatch(p -> p.startsWith("dev.hearth.daemon"))
        .anyMatch(p -> p.startsWith("dev.hearth.core"));
  }

  @Test
  void modulesDependOnlyAlongAllowedEdges() {
    var layers =
        layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .withOptionalLayers(true)
            .layer("core")
            .definedBy("dev.hearth.core..")
            .layer("opstate")
            .definedBy("dev.hearth.opstate..")
            .layer("dmsnap")
            .definedBy("dev.hearth.dmsnap..")
            .layer("fcproc")
            .definedBy("dev.hearth.fcproc..")
            .layer("imagemgr")
            .definedBy("dev.hearth.imagemgr..")
            .layer("session")
            .definedBy("dev.hearth.session..")
            .layer("workspace")
            .definedBy("dev.hearth.workspace..")
            .layer("daemon")
            .definedBy("dev.hearth.daemon..")
            .layer("qemu")
            .definedBy("dev.hearth.qemu..")
            .layer("cli")
            .definedBy("dev.hearth.cli..")
            .whereLayer("cli")
            .mayNotBeAccessedByAnyLayer()
            .whereLayer("qemu")
            .mayNotBeAccessedByAnyLayer()
            .whereLayer("daemon")
            .mayOnlyBeAccessedByLayers("cli")
            .whereLayer("opstate")
            .mayOnlyBeAccessedByLayers("daemon")
            .whereLayer("dmsnap")
            .mayOnlyBeAccessedByLayers("daemon")
            .whereLayer("fcproc")
            .mayOnlyBeAccessedByLayers("daemon", "qemu")
            .whereLayer("imagemgr")
            .mayOnlyBeAccessedByLayers("daemon")
            .whereLayer("workspace")
            .mayOnlyBeAccessedByLayers("daemon")
            .whereLayer("session")
            .mayOnlyBeAccessedByLayers("daemon", "workspace");
    layers.check(classes);
  }

  @Test
  void coreDependsOnNoOtherModule() {
    noClasses()
        .that()
        .resideInAPackage("dev.hearth.core..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.hearth.opstate..",
            "dev.hearth.dmsnap..",
            "dev.hearth.fcproc..",
            "dev.hearth.imagemgr..",
            "dev.hearth.session..",
            "dev.hearth.workspace..",
            "dev.hearth.daemon..",
            "dev.hearth.qemu..",
            "dev.hearth.cli..")
        .check(classes);
  }

  @Test
  void qemuUsesOnlyCoreAndFcproc() {
    noClasses()
        .that()
        .resideInAPackage("dev.hearth.qemu..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.hearth.opstate..",
            "dev.hearth.dmsnap..",
            "dev.hearth.imagemgr..",
            "dev.hearth.session..",
            "dev.hearth.workspace..",
            "dev.hearth.daemon..",
            "dev.hearth.cli..")
        .check(classes);
  }

  @Test
  void noCyclesBetweenModules() {
    slices().matching("dev.hearth.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void internalPackagesArePrivateToTheirModule() {
    for (String m : MODULES) {
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.hearth." + m + "..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.hearth." + m + ".internal..")
          .allowEmptyShould(true)
          .check(classes);
    }
  }

  /**
   * The daemon only composes: the mechanism lives in the leaves. No class of its internal packages
   * runs a host command (core's runner, {@code ProcessBuilder}, {@code Runtime.exec}) or opens an
   * SSH connection (MINA SSHD) itself; the composition root, {@code dev.hearth.daemon.Daemon},
   * builds the runner and hands it to the leaves' classes.
   */
  @Test
  void daemonInternalsRunNoHostCommandAndOpenNoSshConnection() {
    noClasses()
        .that()
        .resideInAPackage("dev.hearth.daemon.internal..")
        .should()
        .dependOnClassesThat()
        .belongToAnyOf(
            Runner.class,
            ProcessRunner.class,
            Command.class,
            CommandResult.class,
            LineListener.class,
            ProcessBuilder.class)
        .orShould()
        .callMethodWhere(
            DescribedPredicate.describe(
                "Runtime.exec",
                call ->
                    call.getTargetOwner().isEquivalentTo(Runtime.class)
                        && call.getName().equals("exec")))
        .orShould()
        .dependOnClassesThat()
        .resideInAPackage("org.apache.sshd..")
        .check(classes);
  }

  /** The two executables: the CLI and hearth-qemu-firecracker (whose stdout is a console). */
  @Test
  void onlyTheExecutablesWriteToStdoutOrStderr() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.hearth.cli..", "dev.hearth.qemu..")
        .should()
        .accessField(System.class, "out")
        .orShould()
        .accessField(System.class, "err")
        .orShould()
        .callMethod(Throwable.class, "printStackTrace")
        .check(classes);
  }

  @Test
  void publicApiUsesOnlyJdkAndHearthTypes() {
    methods()
        .that()
        .arePublic()
        .and()
        .areDeclaredInClassesThat()
        .arePublic()
        // A module's API package, and fcproc's public subpackages (client, server, net, process).
        .and()
        .areDeclaredInClassesThat()
        .resideInAnyPackage("dev.hearth.*", "dev.hearth.fcproc.*")
        .and()
        .areDeclaredInClassesThat()
        .resideOutsideOfPackage("dev.hearth.cli")
        .should(exposeOnlyJdkAndHearthTypes())
        .check(classes);
  }

  private static ArchCondition<JavaMethod> exposeOnlyJdkAndHearthTypes() {
    DescribedPredicate<JavaClass> allowed =
        DescribedPredicate.describe(
            "JDK or hearth type",
            c -> {
              String name = c.getBaseComponentType().getName();
              return c.getBaseComponentType().isPrimitive()
                  || name.startsWith("java.")
                  || name.startsWith("dev.hearth.");
            });
    return new ArchCondition<>("use only JDK and hearth types in their signature") {
      @Override
      public void check(JavaMethod method, ConditionEvents events) {
        List<JavaClass> types = new ArrayList<>(method.getRawParameterTypes());
        types.add(method.getRawReturnType());
        types.addAll(method.getExceptionTypes());
        for (JavaClass t : types) {
          if (!allowed.test(t)) {
            events.add(
                SimpleConditionEvent.violated(
                    method, method.getFullName() + " exposes " + t.getName()));
          }
        }
      }
    };
  }

  @Test
  void everyModuleHasItsOwnPackage() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    for (String m : MODULES) {
      assertThat(Files.isDirectory(root.resolve(m).resolve("src/main/java/dev/hearth/" + m)))
          .as("module %s keeps its code in dev.hearth.%s", m, m)
          .isTrue();
    }
  }
}
