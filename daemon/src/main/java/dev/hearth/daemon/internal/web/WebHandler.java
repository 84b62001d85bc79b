package dev.hearth.daemon.internal.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.hearth.daemon.HearthException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request: the Host check (421), GET and HEAD only (405), the token or cookie (401), then the
 * page, its files and the JSON API; the security headers go on every answer.
 */
final class WebHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(WebHandler.class);

  /** No inline script or style, nothing from elsewhere, no framing. */
  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src"
          + " 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final WebAccess access;
  private final WebApi api;
  private final WebEvents events;
  private final WebAssets assets;

  WebHandler(WebAccess access, WebApi api, WebEvents events, WebAssets assets) {
    this.access = access;
    this.api = api;
    this.events = events;
    this.assets = assets;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    boolean streaming = false;
    try {
      secure(exchange.getResponseHeaders());
      streaming = route(exchange);
    } catch (HearthException e) {
      sendError(exchange, status(e.kind()), e.kind().wireName(), e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sendError(exchange, 503, "unavailable", "the daemon is shutting down");
    } catch (RuntimeException e) {
      log.error("web UI request {} failed", exchange.getRequestURI().getPath(), e);
      sendError(exchange, 500, "internal", "the request failed; the daemon's log has the details");
    } finally {
      if (!streaming) {
        exchange.close();
      }
    }
  }

  /** Answers the request; true when it became an event stream (which stays open). */
  private boolean route(HttpExchange exchange) throws IOException, InterruptedException {
    Headers request = exchange.getRequestHeaders();
    if (!access.hostAllowed(request.get("Host"))) {
      send(
          exchange,
          421,
          "text/plain; charset=utf-8",
          text(
              "421: this server does not serve that"
                  + " host name; use the URL that hearth ui prints\n"));
      return false;
    }
    String method = exchange.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      send(exchange, 405, "text/plain; charset=utf-8", text("405: the web UI is read-only\n"));
      return false;
    }
    String path = exchange.getRequestURI().getPath();
    String query = exchange.getRequestURI().getRawQuery();
    if (path.equals("/login")) {
      login(exchange, WebAccess.query(query, "token"));
      return false;
    }
    if (path.equals("/style.css")) {
      // The 401 page's look: nothing of the daemon's in it.
      sendAsset(exchange, assets.find(path).orElseThrow());
      return false;
    }
    if (!access.cookieValid(request.get("Cookie"))) {
      send(exchange, 401, "text/html; charset=utf-8", assets.unauthorized());
      return false;
    }
    Optional<WebAssets.Asset> asset = assets.find(path);
    if (asset.isPresent()) {
      sendAsset(exchange, asset.get());
      return false;
    }
    if (path.equals("/api/events")) {
      if (method.equals("HEAD")) {
        send(exchange, 200, "text/event-stream; charset=utf-8", new byte[0]);
        return false;
      }
      if (events.subscribe(exchange, WebAccess.query(query, "vm"))) {
        return true;
      }
      sendError(exchange, 503, "busy", "too many pages follow this daemon; close one");
      return false;
    }
    JsonNode answer = api(path, query);
    if (answer == null) {
      sendError(exchange, 404, "not_found", "no such page: " + path);
      return false;
    }
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    send(exchange, 200, "application/json", WebApi.bytes(answer));
    return false;
  }

  /** The JSON API's answer for {@code path}, or null when there is no such endpoint. */
  private JsonNode api(String path, String query) throws InterruptedException {
    switch (path) {
      case "/api/vms":
        return api.vms();
      case "/api/vm":
        return api.vm(param(query, "name"));
      case "/api/console":
        return api.console(param(query, "vm"));
      case "/api/ops":
        return api.ops();
      case "/api/op":
        return api.op(param(query, "id"));
      case "/api/images":
        return api.images();
      case "/api/image":
        return api.image(param(query, "name"));
      case "/api/sessions":
        return api.sessions(WebAccess.query(query, "vm"));
      case "/api/session-output":
        return api.sessionOutput(param(query, "vm"), param(query, "session"));
      case "/api/workspaces":
        return api.workspaces(param(query, "vm"));
      case "/api/doctor":
        return api.doctor();
      default:
        return null;
    }
  }

  private static String param(String query, String name) {
    return WebAccess.query(query, name)
        .filter(v -> !v.isEmpty())
        .orElseThrow(() -> HearthException.invalid("query parameter '" + name + "' is required"));
  }

  private void login(HttpExchange exchange, Optional<String> token) throws IOException {
    if (token.isEmpty() || !access.tokenMatches(token.get())) {
      send(exchange, 401, "text/html; charset=utf-8", assets.unauthorized());
      return;
    }
    exchange.getResponseHeaders().set("Set-Cookie", WebAccess.setCookie(access.newSession()));
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    // The token leaves the address bar (and the history) at once, through a page that moves on
    // rather than a 303: a navigation that came from another site (the file hearth ui --open
    // hands the browser) would not carry the SameSite=Strict cookie along a redirect, while the
    // refresh is this site's own navigation.
    send(exchange, 200, "text/html; charset=utf-8", assets.signedIn());
  }

  static void secure(Headers headers) {
    headers.set("Content-Security-Policy", CSP);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Cross-Origin-Opener-Policy", "same-origin");
    headers.set("Cross-Origin-Resource-Policy", "same-origin");
  }

  private static int status(HearthException.Kind kind) {
    switch (kind) {
      case INVALID:
        return 400;
      case NOT_FOUND:
        return 404;
      case CONFLICT:
      case PRECONDITION_FAILED:
        return 409;
      case BUSY:
      case UNAVAILABLE:
        return 503;
      case TIMEOUT:
        return 504;
      default:
        return 500;
    }
  }

  private static void sendError(HttpExchange exchange, int status, String kind, String message)
      throws IOException {
    JsonNode body =
        WebApi.object().set("error", WebApi.object().put("kind", kind).put("message", message));
    send(exchange, status, "application/json", WebApi.bytes(body));
  }

  private static void sendAsset(HttpExchange exchange, WebAssets.Asset asset) throws IOException {
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    send(exchange, 200, asset.contentType(), asset.bytes());
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
