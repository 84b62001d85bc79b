package dev.hearth.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.BuildInfo;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VersionInfo;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Client and daemon versions, as {@code docker version} prints them. */
@Command(name = "version", description = "Print the client's and the daemon's versions.")
final class VersionCommand implements Callable<Integer> {
  @ParentCommand HearthCommand hearth;

  @Override
  public Integer call() {
    PrintWriter out = hearth.out();
    VersionInfo daemon;
    try (Hearth api = hearth.hearth()) {
      daemon = api.version();
    } catch (HearthException e) {
      if (e.kind() == HearthException.Kind.UNAVAILABLE) {
        // The client's part still answers "what did I install"; the error line follows.
        print(out, null);
      }
      throw e;
    }
    print(out, daemon);
    return 0;
  }

  private void print(PrintWriter out, VersionInfo daemon) {
    if (hearth.json()) {
      ObjectNode root = Json.object();
      root.putObject("client")
          .put("version", BuildInfo.version())
          .put("protocol_version", Hearth.PROTOCOL_VERSION);
      if (daemon == null) {
        root.putNull("daemon");
      } else {
        ObjectNode d =
            root.putObject("daemon")
                .put("version", daemon.version())
                .put("protocol_version", daemon.protocolVersion())
                .put("java_version", daemon.javaVersion())
                .put("pid", daemon.pid());
        daemon
            .vmm()
            .ifPresent(
                vmm ->
                    d.putObject("vmm")
                        .put("kind", vmm.kind())
                        .put("path", vmm.path().orElse(null))
                        .put("reason", vmm.reason()));
      }
      out.println(Json.render(root, false));
      out.flush();
      return;
    }
    Table table = new Table();
    table.row(new Table.Cell("Client:", Style.Colour.BOLD));
    table.row(" Version:", BuildInfo.version());
    table.row(" Protocol:", Integer.toString(Hearth.PROTOCOL_VERSION));
    if (daemon != null) {
      table.row(new Table.Cell("Daemon:", Style.Colour.BOLD));
      table.row(" Version:", daemon.version());
      table.row(" Protocol:", Integer.toString(daemon.protocolVersion()));
      table.row(" Java:", daemon.javaVersion());
      table.row(" PID:", Long.toString(daemon.pid()));
      daemon
          .vmm()
          .ifPresent(
              vmm -> {
                table.row(" VMM:", vmm.kind() + vmm.path().map(p -> " (" + p + ")").orElse(""));
                table.row(" Why:", vmm.reason());
              });
    }
    table.print(out, hearth.style());
  }
}
