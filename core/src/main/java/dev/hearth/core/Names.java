package dev.hearth.core;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** The naming rules for VMs, images and sessions, and id generation. */
public final class Names {
  /** {@code [a-z0-9][a-z0-9-]{0,62}}: usable as a hostname label and a DNS name. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private static final int ID_BYTES = 8;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Names() {}

  /**
   * Checks a VM, image or session name.
   *
   * @param what what is being named, for the message ("VM", "image")
   * @return the name, for chaining
   * @throws InvalidNameException naming the value and the rule
   */
  public static String requireValid(String what, String name) {
    if (name == null || name.isEmpty()) {
      throw new InvalidNameException(what + " name is empty");
    }
    if (!NAME.matcher(name).matches()) {
      throw new InvalidNameException(
          "invalid "
              + what
              + " name '"
              + Printable.of(name)
              + "': use 1 to 63 lower-case letters, digits"
              + " and '-', starting with a letter or digit");
    }
    return name;
  }

  public static boolean isValid(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** A new random id: 16 lower-case hex digits. Commands accept any unique prefix of it. */
  public static String newId() {
    byte[] bytes = new byte[ID_BYTES];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
