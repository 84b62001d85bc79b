package dev.hearth.core;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints byte sizes: {@code 512}, {@code 64K}, {@code 16MiB}, {@code 10G}. Units are
 * binary.
 */
public final class Sizes {
  private static final Pattern FORMAT =
      Pattern.compile(
          "(\\d{1,15})\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  /**
   * Parses a size such as {@code 16MiB}; a bare number is bytes.
   *
   * @throws IllegalArgumentException naming the text when it is not a size
   */
  public static long parse(String text) {
    Matcher m = FORMAT.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a size (expected a number and an optional unit: K, M, G or T, e.g. 16M)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    int shift = unit.isEmpty() || unit.equals("b") ? 0 : 10 * (1 + "kmgt".indexOf(unit.charAt(0)));
    if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
    return n << shift;
  }

  /** A short human form: {@code 512 B}, {@code 1.5 KiB}, {@code 16 MiB}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String units = "KMGTPE";
    double v = bytes;
    int i = -1;
    // Also step up when the number would print as 1024 (1048575 bytes is "1.0 MiB", not "1024
    // KiB").
    while ((v >= 1024 || Math.round(v) >= 1024) && i < units.length() - 1) {
      v /= 1024;
      i++;
    }
    String num =
        v >= 100 || v == Math.rint(v)
            ? String.format(Locale.ROOT, "%.0f", v)
            : String.format(Locale.ROOT, "%.1f", v);
    return num + " " + units.charAt(i) + "iB";
  }
}
