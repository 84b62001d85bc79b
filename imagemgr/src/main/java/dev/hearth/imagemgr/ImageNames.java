package dev.hearth.imagemgr;

import dev.hearth.core.Names;

/** The naming rule for images: core's {@link Names} rule, with "image" in its messages. */
public final class ImageNames {
  private ImageNames() {}

  /**
   * Checks an image name.
   *
   * @return the name, for chaining
   * @throws dev.hearth.core.InvalidNameException naming the value and the rule
   */
  public static String requireValid(String name) {
    return Names.requireValid("image", name);
  }
}
