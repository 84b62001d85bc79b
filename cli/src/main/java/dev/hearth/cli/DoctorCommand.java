package dev.hearth.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.daemon.Daemon;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Host checks, through the daemon when one answers, else from this process. */
@Command(
    name = "doctor",
    description =
        "Check the host: KVM, binaries, networking, disks, socket. Exits 1 when a check"
            + " fails.")
final class DoctorCommand implements Callable<Integer> {
  private static final int CHECK_COLUMN = 1;

  @ParentCommand HearthCommand hearth;

  @Override
  public Integer call() {
    DoctorReport report;
    boolean fromDaemon;
    try (Hearth api = hearth.hearth()) {
      report = api.doctor();
      fromDaemon = true;
    } catch (HearthException e) {
      if (e.kind() != HearthException.Kind.UNAVAILABLE) {
        throw e;
      }
      report = Daemon.doctor(hearth.config());
      fromDaemon = false;
    }
    PrintWriter out = hearth.out();
    if (hearth.json()) {
      out.println(Json.render(toJson(report, fromDaemon), false));
      out.flush();
    } else {
      if (!fromDaemon && !hearth.quiet()) {
        out.println("(no daemon running: checked from this process)");
      }
      table(report, hearth.quiet()).print(out, hearth.style());
    }
    return report.failed() ? 1 : 0;
  }

  /** STATUS CHECK DETAIL, with a "fix:" under each problem; quiet leaves out passing checks. */
  static Table table(DoctorReport report, boolean quiet) {
    Table table = new Table().header("STATUS", "CHECK", "DETAIL");
    for (DoctorCheck check : report.checks()) {
      if (quiet && check.status() == DoctorCheck.Status.PASS) {
        continue;
      }
      table.row(
          new Table.Cell(check.status().name(), colour(check.status())),
          new Table.Cell(check.name(), null),
          new Table.Cell(check.detail(), null));
      if (check.status() != DoctorCheck.Status.PASS && !check.fix().isEmpty()) {
        table.note(CHECK_COLUMN, "fix: " + check.fix());
      }
    }
    return table;
  }

  private static Style.Colour colour(DoctorCheck.Status status) {
    return switch (status) {
      case PASS -> Style.Colour.GREEN;
      case WARN -> Style.Colour.YELLOW;
      case FAIL -> Style.Colour.RED;
    };
  }

  /** The report's own JSON (as the daemon answers it), with where it was checked. */
  private static ObjectNode toJson(DoctorReport report, boolean fromDaemon) {
    ObjectNode root = Json.object();
    root.put("source", fromDaemon ? "daemon" : "local");
    try {
      root.setAll((ObjectNode) Json.parse(report.toJson()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the doctor report's own JSON does not parse", e);
    }
    return root;
  }
}
