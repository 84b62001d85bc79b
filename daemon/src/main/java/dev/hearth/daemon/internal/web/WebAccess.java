package dev.hearth.daemon.internal.web;

import dev.hearth.core.Clock;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who may see the web UI: the holder of the daemon's token (made at start, written for {@code
 * hearth ui}), exchanged once for a session cookie; and which Host headers are this server's (the
 * rest is DNS rebinding). Tokens and cookies are compared in constant time.
 */
final class WebAccess {
  /** The session cookie's name. */
  static final String COOKIE = "hearth_ui";

  /** How long a session cookie is honoured after the token was exchanged for it. */
  static final Duration COOKIE_LIFETIME = Duration.ofHours(12);

  /** Sessions kept at most; the oldest goes first (each login makes one). */
  static final int MAX_SESSIONS = 64;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] token;
  private final Clock clock;
  private final Set<String> hosts;
  private final Map<String, Instant> sessions = new LinkedHashMap<>();

  /**
   * @param token the daemon's token
   * @param hosts the Host header values that name this server ({@code host:port}, lower case)
   */
  WebAccess(String token, Clock clock, Set<String> hosts) {
    this.token = token.getBytes(StandardCharsets.US_ASCII);
    this.clock = clock;
    this.hosts = Set.copyOf(hosts);
  }

  /** A fresh random token: 32 bytes, hex. */
  static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** The Host values of a server bound at {@code host} (as configured) and {@code port}. */
  static Set<String> hostsFor(String host, int port) {
    String bare = host.replaceAll("^\\[|]$", "").toLowerCase(Locale.ROOT);
    String named = bare.contains(":") ? "[" + bare + "]" : bare;
    return new HashSet<>(List.of(named + ":" + port, "127.0.0.1:" + port, "localhost:" + port));
  }

  /** Whether the request's Host header (required) names this server. */
  boolean hostAllowed(List<String> hostHeaders) {
    return hostHeaders != null
        && hostHeaders.size() == 1
        && hosts.contains(hostHeaders.get(0).strip().toLowerCase(Locale.ROOT));
  }

  boolean tokenMatches(String candidate) {
    return MessageDigest.isEqual(token, candidate.getBytes(StandardCharsets.UTF_8));
  }

  /** A new session, valid for {@link #COOKIE_LIFETIME}: its cookie value. */
  synchronized String newSession() {
    prune();
    while (sessions.size() >= MAX_SESSIONS) {
      Iterator<String> oldest = sessions.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
    String id = newToken();
    sessions.put(id, clock.now().plus(COOKIE_LIFETIME));
    return id;
  }

  /** Whether the request's Cookie headers hold a session that has not expired. */
  boolean cookieValid(List<String> cookieHeaders) {
    if (cookieHeaders == null) {
      return false;
    }
    for (String header : cookieHeaders) {
      for (String pair : header.split(";")) {
        String[] kv = pair.strip().split("=", 2);
        if (kv.length == 2 && kv[0].equals(COOKIE) && sessionValid(kv[1])) {
          return true;
        }
      }
    }
    return false;
  }

  private synchronized boolean sessionValid(String candidate) {
    prune();
    byte[] given = candidate.getBytes(StandardCharsets.UTF_8);
    boolean found = false;
    // Every entry is compared, so the time taken does not say how much of a value matched.
    for (String id : sessions.keySet()) {
      found |= MessageDigest.isEqual(id.getBytes(StandardCharsets.US_ASCII), given);
    }
    return found;
  }

  private void prune() {
    Instant now = clock.now();
    sessions.values().removeIf(expiry -> !now.isBefore(expiry));
  }

  /** The Set-Cookie value of a session: HttpOnly, SameSite=Strict, the lifetime as Max-Age. */
  static String setCookie(String session) {
    return COOKIE
        + "="
        + session
        + "; Path=/; HttpOnly; SameSite=Strict; Max-Age="
        + COOKIE_LIFETIME.toSeconds();
  }

  /** The query parameter {@code name} of a raw query, decoded. */
  static Optional<String> query(String rawQuery, String name) {
    if (rawQuery == null) {
      return Optional.empty();
    }
    for (String pair : rawQuery.split("&")) {
      String[] kv = pair.split("=", 2);
      if (kv.length == 2 && kv[0].equals(name)) {
        return Optional.of(java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
      }
    }
    return Optional.empty();
  }
}
