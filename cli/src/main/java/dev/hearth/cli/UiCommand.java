package dev.hearth.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Layout;
import dev.hearth.daemon.Hearth;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The web UI's URL with its token, read from the file the daemon writes beside its socket (root's
 * and the socket group's only); {@code --open} hands it to the desktop's browser.
 */
@Command(
    name = "ui",
    description = {
      "Print the web UI's URL with its token (the daemon's web_listen_addr).",
      "Anyone with the URL can see this host's VMs until the daemon restarts: keep it to yourself."
    })
final class UiCommand implements Callable<Integer> {
  @ParentCommand HearthCommand hearth;

  @Option(names = "--open", description = "Also open it in a browser (xdg-open or $BROWSER).")
  boolean open;

  /** What the CLI says, in one line, when the URL cannot be had or opened. */
  static final class UiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UiException(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    String url = url();
    PrintWriter out = hearth.out();
    if (hearth.json()) {
      ObjectNode root = Json.object().put("url", url);
      out.println(Json.render(root, false));
    } else {
      out.println(url);
    }
    out.flush();
    if (open) {
      Optional<String> failure = hearth.env().browser().open(page(url));
      if (failure.isPresent()) {
        throw new UiException("cannot open a browser: " + failure.get());
      }
    }
    return 0;
  }

  private String url() {
    Path socket = hearth.socket();
    Path file = Layout.webUrlFileBeside(socket);
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (NoSuchFileException e) {
      try (Hearth api = hearth.hearth()) {
        api.ping(); // no daemon: the usual "no daemon is running" line
      }
      throw new UiException(
          "the daemon at "
              + socket
              + " serves no web UI: web_listen_addr is \"\", or its address could not be bound"
              + " (the daemon's log says why)");
    } catch (AccessDeniedException e) {
      throw new UiException(
          "cannot read "
              + file
              + ": only root and the daemon's socket group (socket_group) may read the web UI's"
              + " token");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A page of the user's own (0600, in their private runtime folder) that moves the browser on to
   * the URL: the token goes to the browser through a file, not on a command line that every user of
   * the host can read in {@code /proc}.
   */
  private Path page(String url) {
    Path dir =
        hearth
            .env()
            .get("XDG_RUNTIME_DIR")
            .map(Path::of)
            .filter(Files::isDirectory)
            .orElseGet(
                () ->
                    Path.of(hearth.env().get("HOME").orElse(System.getProperty("user.home")))
                        .resolve(".cache/hearth"));
    String html =
        "<!doctype html>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" content=\"0; url="
            + url
            + "\">\n<title>hearth</title>\n<a href=\""
            + url
            + "\">Open hearth's web UI</a>\n";
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Path page = dir.resolve("hearth-ui.html");
      Path partial = Files.createTempFile(dir, "hearth-ui", ".partial");
      Files.writeString(partial, html, StandardCharsets.US_ASCII);
      Files.move(
          partial, page, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return page;
    } catch (IOException e) {
      throw new UiException("cannot write the page for the browser in " + dir + ": " + e);
    }
  }
}
