package dev.hearth.cli;

import dev.hearth.core.Sizes;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/** Numbers and times the way a person reads them in a table: "1 GiB", "5m", "3.2s". */
final class Human {
  private static final long MIB = 1L << 20;

  private Human() {}

  /** How long ago, in the largest whole unit: "45s", "5m", "2h", "3d"; never negative. */
  static String age(Instant since, Instant now) {
    long seconds = Math.max(0, Duration.between(since, now).toSeconds());
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return seconds / 60 + "m";
    }
    if (seconds < 86400) {
      return seconds / 3600 + "h";
    }
    return seconds / 86400 + "d";
  }

  /** The age of an ISO-8601 timestamp, or "-" when it is missing or unreadable. */
  static String age(String timestamp, Instant now) {
    return instant(timestamp).map(t -> age(t, now)).orElse("-");
  }

  /** Memory given in MiB: "512 MiB", "1 GiB", "1.5 GiB". */
  static String mebibytes(long mib) {
    return Sizes.format(mib * MIB);
  }

  /** The first 12 hex digits of a sha256, as {@code docker images} shows ids; "-" when unknown. */
  static String shortDigest(String hex) {
    return hex.isEmpty() ? "-" : hex.substring(0, Math.min(12, hex.length()));
  }

  /** An elapsed time: "0.4s", "12.3s", "2m05s", "1h02m". */
  static String elapsed(Duration d) {
    long millis = Math.max(0, d.toMillis());
    if (millis < 60_000) {
      return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
    }
    long seconds = millis / 1000;
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
  }

  /** An ISO-8601 timestamp; empty when missing or not one. */
  static Optional<Instant> instant(String timestamp) {
    if (timestamp == null || timestamp.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(timestamp));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
