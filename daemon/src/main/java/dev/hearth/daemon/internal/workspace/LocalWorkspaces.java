package dev.hearth.daemon.internal.workspace;

import dev.hearth.daemon.Workspace;
import dev.hearth.session.Cancellation;
import dev.hearth.workspace.HostGit;
import dev.hearth.workspace.HostRepository;
import dev.hearth.workspace.PreparedImport;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/** {@link dev.hearth.daemon.Workspaces} in-process: the transport is a direct call. */
public final class LocalWorkspaces extends CallerWorkspaces {
  private final WorkspaceService service;

  public LocalWorkspaces(WorkspaceService service, Path temp) {
    super(HostGit::system, temp);
    this.service = service;
  }

  @Override
  protected Workspace sendImport(
      String vm, String name, HostRepository repo, PreparedImport prepared, InputStream bundle)
      throws InterruptedException {
    return service.importBundle(
        new WorkspaceService.ImportRequest(
            vm, name, repo.branch(), repo.head(), repo.top(), prepared.size()),
        bundle,
        Cancellation.never());
  }

  @Override
  protected GuestReport guestStatus(String vm, String name) throws InterruptedException {
    return new GuestReport(service.find(vm, name), service.status(vm, name));
  }

  @Override
  protected void receiveExport(String vm, String name, boolean includeUncommitted, OutputStream out)
      throws InterruptedException {
    service.exportBundle(vm, name, includeUncommitted, out, Cancellation.never());
  }

  @Override
  protected Workspace find(String vm, String name) {
    return service.find(vm, name);
  }

  @Override
  public List<Workspace> list(String vm) {
    return service.list(vm);
  }
}
