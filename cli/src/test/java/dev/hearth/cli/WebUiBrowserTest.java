package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web UI in a real browser: Debian's headless Chromium driven by Selenium through chromedriver,
 * on a daemon with the fake firecracker (WebUiTestDaemon), reached with the URL that {@code hearth
 * ui} prints; VMs are made with the CLI. A failure leaves a screenshot in {@code
 * target/web-ui-failure.png}. With {@code -Dhearth.web.screenshot=PATH} it also saves the VM list
 * there while a create holds at its identity stage (the README's picture).
 */
@RequiresBinary({"chromium", "chromedriver"})
class WebUiBrowserTest {
  private static final Duration WAIT = WebUiTestDaemon.WAIT;

  /** What the fake firecracker prints on the console at boot (its BOOT_LINE). */
  private static final String BOOT_LINE =
      "[    0.000000] Linux version 6.1.0-hearth-fake: fake guest booting";

  @TempDir Path dir;
  private WebUiTestDaemon daemon;
  private ChromeDriver browser;

  @BeforeEach
  void start() throws Exception {
    daemon = WebUiTestDaemon.start(dir, "create.rootfs", "create.identity");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(onPath("chromium").toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox", // root, in a container
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1360,760",
        "--user-data-dir=" + dir.resolve("chromium"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(onPath("chromedriver").toFile())
            .withLogFile(dir.resolve("chromedriver.log").toFile())
            .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      daemon.close();
    }
  }

  private CliRun.Result cli(String... args) {
    return daemon.cli(args);
  }

  private void awaitHeld(String point) throws Exception {
    daemon.awaitHeld(point);
  }

  private void release(String point) throws Exception {
    daemon.release(point);
  }

  @Test
  void theHostsVmsAndACreatesStagesShowLiveAndTheConsoleAsText() throws Throwable {
    try {
      CliRun.Result ui = cli("ui");
      assertThat(ui.exitCode()).as(ui.err()).isZero();
      String url = ui.out().strip();
      browser.get(url);
      await(
          "the VM list, with the token gone from the address",
          () ->
              browser.getCurrentUrl().matches("http://127\\.0\\.0\\.1:[0-9]+/(#/)?")
                  && text("main").contains("No VMs yet"));
      // Set once: a reload would lose it.
      script("window.hearthTestMarker = 'not reloaded';");

      CliRun.Result create = cli("vm", "create", "web1", "--image", "base", "--detach");
      assertThat(create.exitCode()).as(create.err()).isZero();
      awaitHeld("create.rootfs");
      await(
          "web1 creating, its create at stage rootfs",
          () ->
              cell("tr[data-vm='web1'] td:nth-child(2)").equals("creating")
                  && stageShown().equals(Optional.of("rootfs")));
      release("create.rootfs");
      awaitHeld("create.identity");
      await("the create at stage identity", () -> stageShown().equals(Optional.of("identity")));
      screenshotIfAsked();
      release("create.identity");
      await(
          "web1 running and no create shown running",
          () ->
              cell("tr[data-vm='web1'] td:nth-child(2)").equals("running")
                  && stageShown().isEmpty());
      assertThat(cell("tr[data-vm='web1'] td:nth-child(4)")).isEqualTo("web1.hearth.internal");
      assertThat(script("return window.hearthTestMarker;")).isEqualTo("not reloaded");

      await(
          "a click on web1's link (the list is redrawn as events come)",
          () -> {
            try {
              browser.findElement(By.linkText("web1")).click();
              return true;
            } catch (StaleElementReferenceException | ElementClickInterceptedException redrawn) {
              return false;
            }
          });
      await("the console's boot line on web1's page", () -> text("#console").contains(BOOT_LINE));
      Path console =
          Path.of(
              Json.node(cli("--json", "vm", "show", "web1").out()).path("console_log").asText());
      String hostile = "<b>bold?</b><script>window.hearthPwned = 1</script>";
      Files.writeString(console, hostile + "\n", StandardOpenOption.APPEND);
      await("the console line with markup, as text", () -> text("#console").contains(hostile));
      assertThat(script("return document.querySelectorAll('#console *').length;")).isEqualTo(0L);
      assertThat(script("return typeof window.hearthPwned;")).isEqualTo("undefined");
      assertThat(text("#vm-fields")).contains("10.77.0.2", "web1.hearth.internal");
      assertThat(text("#vm-ops")).contains("vm.create", "succeeded");
      assertThat(script("return window.hearthTestMarker;")).isEqualTo("not reloaded");
    } catch (Throwable failure) {
      Path shot = Path.of("target", "web-ui-failure.png");
      Files.createDirectories(shot.getParent());
      Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
      failure.addSuppressed(
          new AssertionError("screenshot: " + shot.toAbsolutePath() + "; page: " + text("body")));
      throw failure;
    }
  }

  /**
   * Usable at 200 VMs: every one listed, the filter finds one among them, and changes still show
   * live (a start in the filtered view, a delete in the counts).
   */
  @Test
  void twoHundredVmsAreListedFilteredAndFollowedLive() throws Throwable {
    release("create.rootfs");
    release("create.identity");
    for (int i = 1; i <= 200; i++) {
      CliRun.Result create = cli("vm", "create", "many" + i, "--image", "base", "--no-start");
      assertThat(create.exitCode()).as("create many%d: %s", i, create.err()).isZero();
    }
    try {
      CliRun.Result ui = cli("ui");
      assertThat(ui.exitCode()).as(ui.err()).isZero();
      browser.get(ui.out().strip());
      await(
          "all 200 VMs listed",
          () ->
              rows() == 200
                  && text("#counts").contains("200 VMs")
                  && text("#counts").contains("200 stopped"));

      browser.findElement(By.id("filter")).sendKeys("many137");
      await(
          "the filter to leave many137 alone",
          () -> rows() == 1 && cell("#vm-table tbody tr").startsWith("many137"));
      CliRun.Result start = cli("vm", "start", "many137");
      assertThat(start.exitCode()).as(start.err()).isZero();
      await(
          "many137 running in the filtered list",
          () -> cell("tr[data-vm='many137'] td:nth-child(2)").equals("running"));

      CliRun.Result delete = cli("vm", "delete", "many200");
      assertThat(delete.exitCode()).as(delete.err()).isZero();
      await(
          "the counts to follow the delete",
          () -> text("#counts").contains("199 VMs") && text("#counts").contains("1 running"));
    } catch (Throwable failure) {
      Path shot = Path.of("target", "web-ui-200-failure.png");
      Files.createDirectories(shot.getParent());
      Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
      failure.addSuppressed(new AssertionError("screenshot: " + shot.toAbsolutePath()));
      throw failure;
    }
  }

  /** The rows of the VM list's table. */
  private long rows() {
    return (Long) script("return document.querySelectorAll('#vm-table tbody tr[data-vm]').length;");
  }

  /** The stage of the one running operation the VM list shows, if any. */
  private Optional<String> stageShown() {
    String stage = cell("#running-ops td.stage");
    return stage.isEmpty() ? Optional.empty() : Optional.of(stage);
  }

  /**
   * The text of the first element {@code css} selects, or "" when there is none; read in one
   * script, since the page replaces its rows as events come.
   */
  private String cell(String css) {
    Object text =
        script("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", css);
    return String.valueOf(text).strip();
  }

  private String text(String css) {
    return cell(css);
  }

  private Object script(String code, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(code, args);
  }

  private void await(String what, Await.Condition condition) throws Exception {
    Await.until(WAIT, what, condition);
  }

  private void screenshotIfAsked() throws Exception {
    String target = System.getProperty("hearth.web.screenshot", "");
    if (!target.isEmpty()) {
      Path shot = dir.resolve("shot.png");
      Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
      Files.copy(shot, Path.of(target), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static Path onPath(String program) {
    for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(folder, program);
      if (!folder.isEmpty() && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError(program + " is not on PATH");
  }
}
