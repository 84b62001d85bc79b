package dev.hearth.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.ImportProgress;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.WorkspaceImport;
import java.util.List;

/**
 * A workspace import's progress (prepare, copy with its percent, import), drawn as an operation's
 * stages are ({@link ProgressDisplay}): the stages happen partly in this process (git makes the
 * bundle here), so they come from the import's {@link ImportProgress} rather than from watching the
 * daemon's operation.
 */
final class ImportProgressDisplay implements ImportProgress, AutoCloseable {
  static final List<String> STAGES =
      List.of(ImportProgress.PREPARE, ImportProgress.COPY, ImportProgress.IMPORT);

  private final ProgressDisplay display;
  private final Runnable stopTicking;
  private String stage = ImportProgress.PREPARE;

  ImportProgressDisplay(HearthCommand hearth) {
    display =
        new ProgressDisplay(
            hearth.out(), hearth.style(), hearth.progressMode(), hearth.env().clock(), STAGES);
    stopTicking = display.startTicking();
  }

  /**
   * Imports {@code spec} through {@code api}, its progress drawn as {@code hearth}'s options say.
   */
  static Workspace run(HearthCommand hearth, Hearth api, WorkspaceImport spec)
      throws InterruptedException {
    try (ImportProgressDisplay display = new ImportProgressDisplay(hearth)) {
      Workspace imported;
      try {
        imported = api.workspaces().importRepository(spec, display);
      } catch (RuntimeException | InterruptedException e) {
        display.failed();
        throw e;
      }
      display.succeeded();
      return imported;
    }
  }

  @Override
  public synchronized void update(String stage, int percent) {
    this.stage = stage;
    ObjectNode snapshot = Json.object().put("state", "running").put("stage", stage);
    if (percent >= 0) {
      snapshot.put("percent", percent);
    }
    display.update(snapshot);
  }

  /** Ends the display: the import succeeded. */
  synchronized void succeeded() {
    display.update(Json.object().put("state", "succeeded").put("stage", stage));
  }

  /** Ends the display at the stage the import reached; the error itself is the command's. */
  synchronized void failed() {
    ObjectNode snapshot = Json.object().put("state", "failed").put("stage", stage);
    snapshot.putObject("error").put("stage", stage).put("message", "");
    display.update(snapshot);
  }

  @Override
  public void close() {
    display.close();
    stopTicking.run();
  }
}
