package dev.hearth.daemon.internal.workspace;

import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.ImportProgress;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.WorkspaceExport;
import dev.hearth.daemon.WorkspaceExported;
import dev.hearth.daemon.WorkspaceImport;
import dev.hearth.daemon.WorkspaceStatus;
import dev.hearth.daemon.Workspaces;
import dev.hearth.workspace.BundleRejectedException;
import dev.hearth.workspace.ExportResult;
import dev.hearth.workspace.GuestStatus;
import dev.hearth.workspace.HostExport;
import dev.hearth.workspace.HostGit;
import dev.hearth.workspace.HostGitException;
import dev.hearth.workspace.HostRepository;
import dev.hearth.workspace.ImportPreparer;
import dev.hearth.workspace.PreparedImport;
import dev.hearth.workspace.RepositoryInspector;
import dev.hearth.workspace.RepositoryStateException;
import dev.hearth.workspace.WorkspaceException;
import dev.hearth.workspace.WorkspaceScripts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The caller's side of {@link Workspaces}, shared by the in-process and the remote API: git on the
 * host runs here, in the caller's process with the caller's rights (the CLI user's, not the
 * daemon's); only the bundles travel to and from hearth, through the transport methods.
 */
public abstract class CallerWorkspaces implements Workspaces {
  private final Supplier<HostGit> hostGit;
  private final Path temp;
  private HostGit git;

  /**
   * @param hostGit made on first use (JNR-POSIX's loading is kept off the start-up of commands that
   *     never run git)
   * @param temp where bundles wait on the host (the caller's temporary folder)
   */
  protected CallerWorkspaces(Supplier<HostGit> hostGit, Path temp) {
    this.hostGit = hostGit;
    this.temp = temp;
  }

  private synchronized HostGit git() {
    if (git == null) {
      git = hostGit.get();
    }
    return git;
  }

  /** Sends the prepared bundle to hearth, which runs the import. */
  protected abstract Workspace sendImport(
      String vm, String name, HostRepository repo, PreparedImport prepared, InputStream bundle)
      throws InterruptedException;

  /** The guest's report on the workspace, and the workspace's record. */
  protected abstract GuestReport guestStatus(String vm, String name) throws InterruptedException;

  /** The guest's export bundle, written to {@code out}. */
  protected abstract void receiveExport(
      String vm, String name, boolean includeUncommitted, OutputStream out)
      throws InterruptedException;

  /** The workspace's record. */
  protected abstract Workspace find(String vm, String name);

  /** What {@code workspace.status} answers. */
  public record GuestReport(Workspace workspace, GuestStatus guest) {}

  @Override
  public Workspace importRepository(WorkspaceImport spec, ImportProgress progress)
      throws InterruptedException {
    progress.update(ImportProgress.PREPARE, -1);
    HostRepository repo;
    try {
      repo = new RepositoryInspector(git()).inspect(spec.path());
    } catch (WorkspaceException e) {
      throw translate(e);
    }
    String name = spec.name().orElse(repo.name());
    try (PreparedImport prepared =
            new ImportPreparer(git()).prepare(repo, spec.allBranches(), temp);
        InputStream bundle =
            new CopyProgressStream(
                Files.newInputStream(prepared.bundle()), prepared.size(), progress)) {
      return sendImport(spec.vm(), name, repo, prepared, bundle);
    } catch (WorkspaceException e) {
      throw translate(e);
    } catch (IOException e) {
      throw HearthException.hostError("reading the import's bundle failed: " + e.getMessage());
    }
  }

  @Override
  public WorkspaceStatus status(String vm, String name) throws InterruptedException {
    GuestReport report = guestStatus(vm, name);
    Workspace w = report.workspace();
    Optional<String> hostHead = hostHead(w);
    GuestStatus g = report.guest();
    return new WorkspaceStatus(
        w,
        g.branch(),
        g.head(),
        g.commitsSinceImport(),
        g.commits(),
        g.changes(),
        hostHead,
        !hostHead.equals(Optional.of(w.baseCommit())));
  }

  private Optional<String> hostHead(Workspace w) throws InterruptedException {
    try {
      return new RepositoryInspector(git()).branchHead(w.hostPath(), w.branch());
    } catch (WorkspaceException e) {
      return Optional.empty();
    }
  }

  @Override
  public WorkspaceExported export(WorkspaceExport spec) throws InterruptedException {
    Workspace w = find(spec.vm(), spec.name());
    String branch =
        spec.branch().orElse("hearth/" + refComponent(w.vm()) + "/" + refComponent(w.name()));
    Path bundle;
    try {
      bundle = Files.createTempFile(temp, "hearth-export-", ".bundle");
    } catch (IOException e) {
      throw HearthException.hostError("cannot make a temporary file in " + temp + ": " + e);
    }
    try {
      try (OutputStream out = Files.newOutputStream(bundle)) {
        receiveExport(
            spec.vm(),
            spec.name(),
            spec.includeUncommitted(),
            WorkspaceService.capped(out, WorkspaceScripts.MAX_EXPORT_BYTES));
      }
      ExportResult r =
          new HostExport(git()).fetch(w.hostPath(), branch, bundle, spec.force(), temp);
      return new WorkspaceExported(
          w.hostPath(),
          r.branch().substring("refs/heads/".length()),
          r.previous(),
          r.tip(),
          r.commits());
    } catch (WorkspaceException e) {
      throw translate(e);
    } catch (IOException | UncheckedIOException e) {
      throw HearthException.hostError("writing the export's bundle failed: " + e.getMessage());
    } finally {
      try {
        Files.deleteIfExists(bundle);
      } catch (IOException e) {
        // a temporary file left in the caller's temporary folder
      }
    }
  }

  /**
   * {@code name} as one component of a branch name: characters git refuses in refs become {@code
   * -}, and a leading dot or a {@code .lock} end is avoided.
   */
  static String refComponent(String name) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      sb.append(c <= ' ' || c == 0x7f || "~^:?*[\\/".indexOf(c) >= 0 ? '-' : c);
    }
    String out = sb.toString().replace("..", "-").replace("@{", "-");
    if (out.startsWith(".")) {
      out = "_" + out;
    }
    if (out.endsWith(".lock") || out.endsWith(".")) {
      out = out + "_";
    }
    return out;
  }

  private static HearthException translate(WorkspaceException e) {
    if (e instanceof RepositoryStateException) {
      return HearthException.invalid(e.getMessage());
    }
    if (e instanceof BundleRejectedException) {
      return HearthException.preconditionFailed(e.getMessage());
    }
    if (e instanceof HostGitException) {
      return HearthException.hostError(e.getMessage());
    }
    return HearthException.hostError(e.getMessage());
  }
}
