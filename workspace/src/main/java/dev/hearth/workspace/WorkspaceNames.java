package dev.hearth.workspace;

import dev.hearth.core.Printable;
import java.nio.charset.StandardCharsets;

/**
 * A workspace's name is one folder name under {@value WorkspaceScripts#ROOT} in the guest: any
 * characters but {@code /} and NUL, not {@code .} or {@code ..}, at most 255 bytes. (Default: the
 * host work tree's folder name, which may hold spaces or worse; the scripts take it as an
 * argument.)
 */
public final class WorkspaceNames {
  private WorkspaceNames() {}

  /**
   * @throws IllegalArgumentException naming the rule broken
   */
  public static String check(String name) {
    if (name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.indexOf('/') >= 0
        || name.indexOf('\0') >= 0
        || name.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new IllegalArgumentException(
          "a workspace name is one folder name (no '/' or NUL, not '.' or '..', at most 255"
              + " bytes); got '"
              + Printable.of(name)
              + "'");
    }
    return name;
  }
}
