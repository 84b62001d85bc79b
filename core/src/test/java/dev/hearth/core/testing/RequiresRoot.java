package dev.hearth.core.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A host test that needs root (network devices, loop devices, other uids). Tagged {@code host};
 * skipped with the reason in the report when not root.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("host")
@ExtendWith(HostConditions.class)
public @interface RequiresRoot {}
