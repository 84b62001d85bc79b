package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Posix;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.internal.web.WebServer;
import dev.hearth.daemon.internal.web.WebSources;
import dev.hearth.fcproc.testing.FakeFirecracker;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web UI over real HTTP: a daemon with the fake firecracker serving it on a free port, every
 * endpoint, and each access rule (token, cookie, Host, method, headers).
 */
class WebServerTest {
  private static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src"
          + " 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  @TempDir Path dir;
  VmFixture fx;
  String url;
  WebHttp http;

  @BeforeEach
  void start() throws Exception {
    fx =
        new VmFixture(dir, VmFixture.config(dir).with(ConfigKey.WEB_LISTEN_ADDR, "127.0.0.1:0"))
            .start();
    url = Files.readString(fx.layout.webUrlFile()).strip();
    http = WebHttp.of(url);
  }

  @AfterEach
  void stop() throws Exception {
    fx.close();
  }

  private String login() throws Exception {
    WebHttp.Response r = http.get(pathOf(url));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.header("Set-Cookie").orElseThrow().split(";")[0];
  }

  private static String pathOf(String url) {
    return url.substring(url.indexOf('/', "http://".length()));
  }

  private JsonNode json(String path, String cookie) throws Exception {
    WebHttp.Response r = http.get(path, "Cookie: " + cookie);
    assertThat(r.status()).as("%s: %s", path, r.body()).isEqualTo(200);
    assertThat(r.header("Content-Type")).contains("application/json");
    return VmFixture.parse(r.body());
  }

  @Test
  void theUrlFileHoldsTheLoginUrlForTheSocketGroupOnlyAndGoesWithTheDaemon() throws Exception {
    assertThat(url).matches("http://127\\.0\\.0\\.1:[0-9]+/login\\?token=[0-9a-f]{64}");
    assertThat(url).doesNotContain(":0/");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fx.layout.webUrlFile())))
        .isEqualTo("rw-r-----");
    fx.stopDaemon();
    assertThat(fx.layout.webUrlFile()).doesNotExist();
  }

  @Test
  void aDaemonWithoutTheWebUiRemovesTheUrlADeadDaemonLeft() throws Exception {
    fx.stopDaemon();
    Files.writeString(fx.layout.webUrlFile(), url + "\n");
    VmFixture withoutWeb = new VmFixture(dir, VmFixture.config(dir)).start();
    try {
      assertThat(fx.layout.webUrlFile()).doesNotExist();
    } finally {
      withoutWeb.close();
    }
  }

  @Test
  void withoutTheTokenOrACookieEveryPageIs401SayingToRunHearthUi() throws Exception {
    for (String path : List.of("/", "/app.js", "/api/vms", "/api/events", "/api/doctor")) {
      WebHttp.Response r = http.get(path);
      assertThat(r.status()).as(path).isEqualTo(401);
      assertThat(r.body()).as(path).contains("hearth ui");
      assertThat(r.header("Content-Type")).contains("text/html; charset=utf-8");
    }
  }

  @Test
  void aBadTokenIs401AndSetsNoCookie() throws Exception {
    for (String path :
        List.of("/login", "/login?token=", "/login?token=0123", "/login?token=" + "a".repeat(64))) {
      WebHttp.Response r = http.get(path);
      assertThat(r.status()).as(path).isEqualTo(401);
      assertThat(r.header("Set-Cookie")).as(path).isEmpty();
      assertThat(r.body()).contains("hearth ui");
    }
  }

  @Test
  void theTokenBecomesAStrictHttpOnlyCookieAndThePageMovesOnWithoutIt() throws Exception {
    WebHttp.Response r = http.get(pathOf(url));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("<meta http-equiv=\"refresh\" content=\"0; url=/\">");
    assertThat(r.header("Cache-Control")).contains("no-store");
    String setCookie = r.header("Set-Cookie").orElseThrow();
    assertThat(setCookie)
        .startsWith("hearth_ui=")
        .contains("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200");
    String cookie = setCookie.split(";")[0];
    assertThat(cookie).doesNotContain(url.substring(url.indexOf("token=") + 6));

    WebHttp.Response page = http.get("/", "Cookie: " + cookie);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("<script src=\"/app.js\" defer></script>");
    assertThat(http.get("/app.js", "Cookie: " + cookie).body()).contains("EventSource");
    assertThat(http.get("/style.css", "Cookie: " + cookie).status()).isEqualTo(200);
    // A cookie the server did not make, or the token itself as a cookie, is no session.
    assertThat(http.get("/", "Cookie: hearth_ui=" + "0".repeat(64)).status()).isEqualTo(401);
    String token = url.substring(url.indexOf("token=") + 6);
    assertThat(http.get("/", "Cookie: hearth_ui=" + token).status()).isEqualTo(401);
  }

  @Test
  void anExpiredCookieIs401() throws Exception {
    FakeClock clock = new FakeClock();
    try (Hearth hearth = Hearth.connect(fx.layout.socket());
        WebServer web = standalone(hearth, clock)) {
      WebHttp own = WebHttp.of(web.url());
      WebHttp.Response login = own.get(pathOf(web.url()));
      String cookie = login.header("Set-Cookie").orElseThrow().split(";")[0];
      assertThat(own.get("/api/vms", "Cookie: " + cookie).status()).isEqualTo(200);
      clock.advance(Duration.ofHours(12).minusSeconds(1));
      assertThat(own.get("/api/vms", "Cookie: " + cookie).status()).isEqualTo(200);
      clock.advance(Duration.ofSeconds(1));
      WebHttp.Response expired = own.get("/api/vms", "Cookie: " + cookie);
      assertThat(expired.status()).isEqualTo(401);
      assertThat(expired.body()).contains("hearth ui");
    }
  }

  private WebServer standalone(Hearth hearth, FakeClock clock) throws Exception {
    return WebServer.start(
        new WebServer.Settings(
            "127.0.0.1:0", dir.resolve("own-web.url"), OptionalInt.empty(), Posix.system(), clock),
        new WebSources(
            hearth.vms(),
            hearth.ops(),
            hearth.images(),
            hearth.sessions(),
            hearth.workspaces(),
            hearth::doctor,
            "hearth.internal"));
  }

  @Test
  void aHostHeaderThatIsNotTheServersIs421EvenWithACookie() throws Exception {
    String cookie = login();
    int port = Integer.parseInt(http.host().split(":")[1]);
    for (String host :
        List.of("evil.example:" + port, "evil.example", "127.0.0.1:" + (port + 1), "10.0.0.1")) {
      WebHttp.Response r = http.send("GET", "/api/vms", host, "Cookie: " + cookie);
      assertThat(r.status()).as(host).isEqualTo(421);
      assertThat(r.body()).doesNotContain("\"vms\"");
    }
    assertThat(http.send("GET", "/api/vms", null, "Cookie: " + cookie).status()).isEqualTo(421);
    // The token is refused too on a foreign Host: a rebinding page cannot log in with it.
    assertThat(http.send("GET", pathOf(url), "evil.example:" + port).status()).isEqualTo(421);
    for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port)) {
      assertThat(http.send("GET", "/api/vms", host, "Cookie: " + cookie).status())
          .as(host)
          .isEqualTo(200);
    }
  }

  @Test
  void onlyGetAndHeadAreServed() throws Exception {
    String cookie = login();
    for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
      WebHttp.Response r =
          http.send(method, "/api/vms", http.host(), "Cookie: " + cookie, "Content-Length: 0");
      assertThat(r.status()).as(method).isEqualTo(405);
      assertThat(r.header("Allow")).as(method).contains("GET, HEAD");
    }
    // A POST with the token does not log in either.
    assertThat(http.send("POST", pathOf(url), http.host(), "Content-Length: 0").status())
        .isEqualTo(405);
    WebHttp.Response head = http.send("HEAD", "/api/vms", http.host(), "Cookie: " + cookie);
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void everyAnswerCarriesTheSecurityHeadersAndNoCorsHeader() throws Exception {
    String cookie = login();
    List<WebHttp.Response> answers = new ArrayList<>();
    answers.add(http.get("/"));
    answers.add(http.get("/", "Cookie: " + cookie));
    answers.add(http.get("/app.js", "Cookie: " + cookie, "Origin: http://evil.example"));
    answers.add(http.get("/api/vms", "Cookie: " + cookie, "Origin: http://evil.example"));
    answers.add(http.get("/api/nothing", "Cookie: " + cookie));
    answers.add(http.get("/api/vm?name=nosuch", "Cookie: " + cookie));
    answers.add(http.send("POST", "/", http.host(), "Content-Length: 0"));
    answers.add(http.send("GET", "/", "evil.example"));
    answers.add(http.get(pathOf(url)));
    for (WebHttp.Response r : answers) {
      assertThat(r.header("Content-Security-Policy")).as("%s", r).contains(CSP);
      assertThat(r.header("X-Content-Type-Options")).as("%s", r).contains("nosniff");
      assertThat(r.header("Referrer-Policy")).as("%s", r).contains("no-referrer");
      assertThat(r.headers().keySet()).as("%s", r).noneMatch(h -> h.startsWith("access-control"));
    }
  }

  @Test
  void everyEndpointAnswersAsItsRpcMethodDoes() throws Exception {
    JsonNode op = fx.createAndWait("web1", "");
    assertThat(op.path("state").asText()).isEqualTo("succeeded");
    String cookie = login();

    JsonNode vms = json("/api/vms", cookie);
    assertThat(vms.path("vms")).hasSize(1);
    JsonNode vm = vms.path("vms").get(0);
    assertThat(vm.path("name").asText()).isEqualTo("web1");
    assertThat(vm.path("state").asText()).isEqualTo("running");
    assertThat(vm.path("dns_name").asText()).isEqualTo("web1.hearth.internal");
    assertThat(vm.path("ip").asText()).isEqualTo("10.77.0.2");
    JsonNode rpcVm = fx.call("vm.list", "{}").path("vms").get(0);
    rpcVm.fieldNames().forEachRemaining(f -> assertThat(vm.path(f)).as(f).isEqualTo(rpcVm.get(f)));

    JsonNode shown = json("/api/vm?name=web1", cookie);
    assertThat(shown.path("console_log").asText()).endsWith("console.log");
    assertThat(shown.path("dns_name").asText()).isEqualTo("web1.hearth.internal");

    JsonNode ops = json("/api/ops", cookie);
    assertThat(ops.path("ops").findValuesAsText("id")).contains(op.path("id").asText());
    assertThat(json("/api/op?id=" + op.path("id").asText(), cookie).path("stage").asText())
        .isEqualTo("ready");

    JsonNode images = json("/api/images", cookie);
    assertThat(images.path("images").get(0).path("name").asText()).isEqualTo(VmFixture.IMAGE);
    assertThat(images.path("images").get(0).path("used_by").get(0).asText()).isEqualTo("web1");
    assertThat(json("/api/image?name=base", cookie).path("used_by").get(0).asText())
        .isEqualTo("web1");

    assertThat(json("/api/doctor", cookie).path("checks").size()).isPositive();
    assertThat(json("/api/console?vm=web1", cookie).path("text").asText())
        .contains(FakeFirecracker.BOOT_LINE);

    assertThat(http.get("/api/vm?name=nosuch", "Cookie: " + cookie).status()).isEqualTo(404);
    assertThat(http.get("/api/sessions?vm=nosuch", "Cookie: " + cookie).status()).isEqualTo(404);
    assertThat(http.get("/api/workspaces?vm=nosuch", "Cookie: " + cookie).status()).isEqualTo(404);
    assertThat(http.get("/api/session-output?vm=nosuch&session=s", "Cookie: " + cookie).status())
        .isEqualTo(404);
    WebHttp.Response missing = http.get("/api/vm", "Cookie: " + cookie);
    assertThat(missing.status()).isEqualTo(400);
    assertThat(VmFixture.parse(missing.body()).path("error").path("message").asText())
        .isEqualTo("query parameter 'name' is required");
    assertThat(http.get("/api/nothing", "Cookie: " + cookie).status()).isEqualTo(404);
  }

  @Test
  void aConsoleLineWithMarkupComesAsTextNeverAsMarkup() throws Exception {
    fx.createAndWait("web1", "");
    Path console = Path.of(fx.call("vm.show", "{\"vm\": \"web1\"}").path("console_log").asText());
    String hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>&amp;";
    Files.writeString(console, hostile + "\n", StandardOpenOption.APPEND);
    String cookie = login();
    WebHttp.Response r = http.get("/api/console?vm=web1", "Cookie: " + cookie);
    assertThat(r.header("Content-Type")).contains("application/json");
    assertThat(r.body()).doesNotContain("<script>", "<img", "&amp;");
    assertThat(r.body()).contains("\\u003Cscript\\u003E");
    assertThat(VmFixture.parse(r.body()).path("text").asText()).contains(hostile);
  }

  @Test
  void theEventStreamSendsTheVmsTheOpsAndTheConsoleAndThenWhatChanges() throws Exception {
    fx.createAndWait("web1", "");
    String cookie = login();
    try (Socket events = http.openEvents("/api/events?vm=web1", cookie)) {
      InputStream in = events.getInputStream();
      assertThat(WebHttp.line(in)).isEqualTo("HTTP/1.1 200 OK");
      awaitEvent(in, "vms", data -> data.contains("\"web1\""));
      awaitEvent(in, "console", data -> data.contains("fake guest booting"));
      fx.create("web2", "");
      awaitEvent(in, "vms", data -> data.contains("\"web2\""));
      awaitEvent(in, "ops", data -> data.contains("\"target\":\"web2\""));
    }
    Await.until(
        "the op of web2 to finish",
        () -> fx.call("vm.show", "{\"vm\": \"web2\"}").path("state").asText().equals("running"));
  }

  /** Reads events (bounded by the socket's 60 s timeout) until one named {@code name} matches. */
  private static void awaitEvent(InputStream in, String name, Predicate<String> matches)
      throws Exception {
    List<String> seen = new ArrayList<>();
    String event = null;
    while (true) {
      String line = WebHttp.line(in);
      // Chunk sizes of the chunked encoding come as lines of their own.
      if (line.startsWith("event: ")) {
        event = line.substring(7);
      } else if (line.startsWith("data: ")) {
        seen.add(event);
        if (name.equals(event) && matches.test(line.substring(6))) {
          return;
        }
      }
      assertThat(seen).as("events while waiting for %s", name).hasSizeLessThan(50);
    }
  }

  @Test
  void pastTheSubscriberLimitTheEventStreamIs503() throws Exception {
    String cookie = login();
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < 16; i++) {
        Socket s = http.openEvents("/api/events", cookie);
        open.add(s);
        assertThat(WebHttp.line(s.getInputStream())).isEqualTo("HTTP/1.1 200 OK");
      }
      WebHttp.Response refused = http.get("/api/events", "Cookie: " + cookie);
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.body()).contains("too many pages");
      // The rest of the UI is still served meanwhile.
      assertThat(http.get("/api/vms", "Cookie: " + cookie).status()).isEqualTo(200);
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
  }
}
