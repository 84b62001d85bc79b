package dev.hearth.core.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A host test that needs programs on PATH. Tagged {@code host}; skipped with the missing program
 * named in the report.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("host")
@ExtendWith(HostConditions.class)
public @interface RequiresBinary {
  /** Program names looked up on PATH (and /sbin, /usr/sbin). */
  String[] value();
}
