package dev.hearth.core.testing;

import dev.hearth.core.Posix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Evaluates {@link RequiresRoot} and {@link RequiresBinary}. */
public final class HostConditions implements ExecutionCondition {

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Optional<java.lang.reflect.AnnotatedElement> element = context.getElement();
    if (element.isEmpty()) {
      return ConditionEvaluationResult.enabled("no element");
    }
    if (AnnotationSupport.isAnnotated(element, RequiresRoot.class) && !isRoot()) {
      return ConditionEvaluationResult.disabled(
          "SKIPPED: needs root (running as uid " + Posix.system().geteuid() + ")");
    }
    Optional<RequiresBinary> binaries =
        AnnotationSupport.findAnnotation(element, RequiresBinary.class);
    if (binaries.isPresent()) {
      List<String> missing = new ArrayList<>();
      for (String b : binaries.get().value()) {
        if (which(b).isEmpty()) {
          missing.add(b);
        }
      }
      if (!missing.isEmpty()) {
        return ConditionEvaluationResult.disabled(
            "SKIPPED: needs " + String.join(", ", missing) + " on PATH");
      }
    }
    return ConditionEvaluationResult.enabled("host requirements met");
  }

  public static boolean isRoot() {
    return Posix.system().geteuid() == 0;
  }

  /** Finds a program on PATH, then in the sbin folders that a non-login PATH may lack. */
  public static Optional<Path> which(String program) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin"));
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path p = Path.of(d, program);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
