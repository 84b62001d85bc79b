package dev.hearth.daemon.internal.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/** The page, its script and its style sheet, read from the jar once. */
final class WebAssets {
  /** A file served as it is. */
  record Asset(String contentType, byte[] bytes) {}

  private static final Map<String, String> FILES =
      Map.of(
          "/", "index.html",
          "/app.js", "app.js",
          "/style.css", "style.css");

  private final Map<String, Asset> byPath;
  private final byte[] unauthorized;
  private final byte[] signedIn;

  private WebAssets(Map<String, Asset> byPath, byte[] unauthorized, byte[] signedIn) {
    this.byPath = byPath;
    this.unauthorized = unauthorized;
    this.signedIn = signedIn;
  }

  static WebAssets load() {
    Map<String, Asset> assets =
        Map.of(
            "/", new Asset("text/html; charset=utf-8", read(FILES.get("/"))),
            "/app.js", new Asset("text/javascript; charset=utf-8", read(FILES.get("/app.js"))),
            "/style.css", new Asset("text/css; charset=utf-8", read(FILES.get("/style.css"))));
    return new WebAssets(assets, read("unauthorized.html"), read("signed-in.html"));
  }

  Optional<Asset> find(String path) {
    return Optional.ofNullable(byPath.get(path));
  }

  /** The 401 page: how to get in ({@code hearth ui}). */
  byte[] unauthorized() {
    return unauthorized.clone();
  }

  /** The login's answer: moves on to {@code /} at once. */
  byte[] signedIn() {
    return signedIn.clone();
  }

  private static byte[] read(String name) {
    try (InputStream in = WebAssets.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the web UI's " + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the web UI's " + name + " from the jar", e);
    }
  }
}
