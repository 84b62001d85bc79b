package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web UI in Firefox (Debian's firefox-esr, headless), driven through Marionette: the token
 * login, the VM list, and live updates through Server-Sent Events (a create and a start show up
 * without a reload), as {@link WebUiBrowserTest} checks them in Chromium. A failure leaves a
 * screenshot in {@code target/web-ui-firefox-failure.png}.
 */
@RequiresBinary("firefox-esr")
class WebUiFirefoxTest {
  private static final Duration WAIT = WebUiTestDaemon.WAIT;

  @TempDir Path dir;
  private WebUiTestDaemon daemon;
  private Process firefox;
  private Marionette browser;

  @BeforeEach
  void start() throws Exception {
    daemon = WebUiTestDaemon.start(Files.createDirectories(dir.resolve("daemon")));
    // A profile of its own, whose Marionette server takes a free port and names it in a file.
    Path profile = Files.createDirectories(dir.resolve("profile"));
    Files.writeString(profile.resolve("user.js"), "user_pref(\"marionette.port\", 0);\n");
    ProcessBuilder pb =
        new ProcessBuilder(
                "firefox-esr",
                "--headless",
                "--marionette",
                "--no-remote",
                "--profile",
                profile.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("firefox.log").toFile());
    pb.environment().put("HOME", dir.toString());
    firefox = pb.start();
    Path portFile = profile.resolve("MarionetteActivePort");
    Await.until(
        WAIT,
        "Firefox to name its Marionette port in "
            + portFile
            + " (its log: "
            + dir
            + "/firefox.log)",
        () -> {
          assertThat(firefox.isAlive()).as("firefox exited early").isTrue();
          return Files.exists(portFile) && !Files.readString(portFile).isBlank();
        });
    browser = Marionette.connect(Integer.parseInt(Files.readString(portFile).strip()), WAIT);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (browser != null) {
        browser.close();
      }
      if (firefox != null) {
        firefox.descendants().forEach(ProcessHandle::destroyForcibly);
        Await.exit(firefox.destroyForcibly(), WAIT, "firefox to end");
      }
    } finally {
      daemon.close();
    }
  }

  @Test
  void signsInListsVmsAndFollowsThemLive() throws Throwable {
    try {
      browser.navigate(daemon.uiUrl());
      await(
          "the VM list, with the token gone from the address",
          () ->
              text("return location.href;").matches("http://127\\.0\\.0\\.1:[0-9]+/(#/)?")
                  && text("const c = document.getElementById('counts'); return c ? c.innerText : '';")
                      .contains("0 VMs"));
      browser.script("window.hearthTestMarker = 'not reloaded'; return 1;");

      CliRun.Result create = daemon.cli("vm", "create", "fox1", "--image", "base", "--no-start");
      assertThat(create.exitCode()).as(create.err()).isZero();
      await("fox1 listed, stopped, without a reload", () -> stateOf("fox1").equals("stopped"));
      CliRun.Result start = daemon.cli("vm", "start", "fox1");
      assertThat(start.exitCode()).as(start.err()).isZero();
      await("fox1 running, without a reload", () -> stateOf("fox1").equals("running"));
      assertThat(text("return window.hearthTestMarker;")).isEqualTo("not reloaded");
      assertThat(text("return navigator.userAgent;")).contains("Firefox/");
    } catch (Throwable failure) {
      Path shot = Path.of("target", "web-ui-firefox-failure.png");
      Files.createDirectories(shot.getParent());
      Files.write(shot, browser.screenshot());
      failure.addSuppressed(new AssertionError("screenshot: " + shot.toAbsolutePath()));
      throw failure;
    }
  }

  /** The state cell of the VM's row; "" while it has none. */
  private String stateOf(String vm) throws IOException {
    return text(
        "const r = document.querySelector(\"tr[data-vm='"
            + vm
            + "'] td:nth-child(2)\"); return r ? r.innerText.trim() : '';");
  }

  /** A script's value as text; "" for none, or when the page navigated away under it. */
  private String text(String code) throws IOException {
    JsonNode value;
    try {
      value = browser.script(code);
    } catch (Marionette.CommandFailed navigating) {
      return "";
    }
    return value.isNull() || value.isMissingNode() ? "" : value.asText();
  }

  private void await(String what, Await.Condition condition) throws Exception {
    Await.until(WAIT, what, condition);
  }
}
