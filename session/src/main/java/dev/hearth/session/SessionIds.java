package dev.hearth.session;

import dev.hearth.core.Printable;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Session ids: short, random, lower-case hex, safe as a guest folder name. */
public final class SessionIds {
  /** What an id looks like; also the test that a folder under the root is a session's. */
  public static final Pattern ID = Pattern.compile("[0-9a-f]{8,32}");

  private static final SecureRandom RANDOM = new SecureRandom();

  private SessionIds() {}

  /** A new id of 10 hex digits (40 random bits: unique enough among one VM's sessions). */
  public static String newId() {
    byte[] bytes = new byte[5];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** Whether the text is shaped like a session id. */
  public static boolean isValid(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /**
   * @throws InvalidSessionRequestException naming the value when it is not an id
   */
  public static String requireValid(String id) {
    if (!isValid(id)) {
      throw new InvalidSessionRequestException(
          "invalid session id '"
              + Printable.of(String.valueOf(id))
              + "': expected 8 to 32 lower-case hex digits");
    }
    return id;
  }
}
