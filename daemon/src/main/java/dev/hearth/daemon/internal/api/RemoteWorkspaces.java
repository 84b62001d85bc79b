package dev.hearth.daemon.internal.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.internal.workspace.CallerWorkspaces;
import dev.hearth.daemon.internal.workspace.WorkspaceJson;
import dev.hearth.workspace.HostGit;
import dev.hearth.workspace.HostRepository;
import dev.hearth.workspace.PreparedImport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link dev.hearth.daemon.Workspaces} over the socket: git runs here, as the caller; the import's
 * bundle goes to {@code workspace.import} as stream input and the export's comes back from {@code
 * workspace.export} on fd 1, each on a connection of its own.
 */
final class RemoteWorkspaces extends CallerWorkspaces {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final Path socket;
  private final RemoteSessions.Caller caller;

  RemoteWorkspaces(Path socket, RemoteSessions.Caller caller) {
    super(HostGit::system, Path.of(System.getProperty("java.io.tmpdir")));
    this.socket = socket;
    this.caller = caller;
  }

  @Override
  protected Workspace sendImport(
      String vm, String name, HostRepository repo, PreparedImport prepared, InputStream bundle)
      throws InterruptedException {
    ObjectNode params =
        Wire.object()
            .put("vm", vm)
            .put("name", name)
            .put("branch", repo.branch())
            .put("head", repo.head())
            .put("host_path", repo.top().toString())
            .put("size", prepared.size());
    try (HearthClient own = HearthClient.connect(socket)) {
      RpcClient.Stream stream =
          own.openStream("workspace.import", params.toString(), (fd, b) -> {});
      Thread feeder =
          new Thread(
              () -> {
                byte[] buffer = new byte[BUFFER_BYTES];
                try {
                  int n;
                  while ((n = bundle.read(buffer)) >= 0) {
                    stream.write(buffer, 0, n);
                  }
                  stream.closeInput();
                } catch (IOException | RuntimeException e) {
                  // A cut bundle fails the guest's fetch, which the answer reports.
                }
              },
              "hearth-workspace-import");
      feeder.setDaemon(true);
      feeder.start();
      JsonNode result = RemoteHearth.parse(stream.awaitResult());
      feeder.join();
      return WorkspaceJson.workspace(result);
    }
  }

  @Override
  protected GuestReport guestStatus(String vm, String name) {
    JsonNode r = caller.call("workspace.status", Wire.object().put("vm", vm).put("name", name));
    return new GuestReport(
        WorkspaceJson.workspace(r.path("workspace")), WorkspaceJson.status(r.path("guest")));
  }

  @Override
  protected void receiveExport(
      String vm, String name, boolean includeUncommitted, OutputStream out) {
    ObjectNode params =
        Wire.object()
            .put("vm", vm)
            .put("name", name)
            .put("include_uncommitted", includeUncommitted);
    try (HearthClient own = HearthClient.connect(socket)) {
      RpcClient.Stream stream =
          own.openStream(
              "workspace.export",
              params.toString(),
              (fd, data) -> {
                if (fd == 1) {
                  try {
                    out.write(data);
                  } catch (IOException e) {
                    throw new UncheckedIOException(
                        "writing the export's bundle failed: " + e.getMessage(), e);
                  }
                }
              });
      stream.closeInput();
      stream.awaitResult();
    }
  }

  @Override
  protected Workspace find(String vm, String name) {
    for (Workspace w : list(vm)) {
      if (w.name().equals(name)) {
        return w;
      }
    }
    throw dev.hearth.daemon.HearthException.notFound(
        "VM " + vm + " has no workspace named '" + name + "'");
  }

  @Override
  public List<Workspace> list(String vm) {
    JsonNode r = caller.call("workspace.list", Wire.object().put("vm", vm));
    List<Workspace> all = new ArrayList<>();
    r.path("workspaces").forEach(n -> all.add(WorkspaceJson.workspace(n)));
    return all;
  }
}
