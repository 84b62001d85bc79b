package dev.hearth.daemon.internal.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.rpc.RpcHandler;
import dev.hearth.session.Cancellation;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code workspace.*} methods. {@code workspace.import} and {@code workspace.export} stream:
 * the import's input is the bundle the caller prepared, the export's output (fd 1) the guest's
 * bundle, which the caller fetches.
 */
public final class WorkspaceRpc {
  private final WorkspaceService service;

  public WorkspaceRpc(WorkspaceService service) {
    this.service = service;
  }

  /** The handlers by method name, for the dispatcher. */
  public Map<String, RpcHandler> handlers() {
    Map<String, RpcHandler> handlers = new LinkedHashMap<>();
    ROUTES.forEach((method, route) -> handlers.put(method, params -> route.serve(this, params)));
    return handlers;
  }

  /** The method names {@link #handlers} serves. */
  public static Set<String> methods() {
    return ROUTES.keySet();
  }

  @FunctionalInterface
  private interface Route {
    JsonNode serve(WorkspaceRpc rpc, Params params) throws InterruptedException;
  }

  private static final Map<String, Route> ROUTES =
      Map.of(
          "workspace.import", WorkspaceRpc::importBundle,
          "workspace.list", WorkspaceRpc::list,
          "workspace.status", WorkspaceRpc::status,
          "workspace.export", WorkspaceRpc::export);

  private JsonNode importBundle(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "name", "branch", "head", "host_path", "size"));
    RequestStream stream = params.stream();
    Cancellation cancel = new Cancellation();
    stream.onCancel(cancel::cancel);
    String hostPath = params.string("host_path");
    if (!hostPath.startsWith("/")) {
      throw params.invalid("host_path", "must be an absolute path");
    }
    // Path.of and the guest's import script take these; a NUL is neither a path nor an argument.
    for (String param : List.of("host_path", "branch", "head")) {
      if (params.string(param).indexOf('\0') >= 0) {
        throw params.invalid(param, "cannot hold a NUL character");
      }
    }
    Workspace w =
        service.importBundle(
            new WorkspaceService.ImportRequest(
                params.string("vm"),
                params.string("name"),
                params.string("branch"),
                params.string("head"),
                Path.of(hostPath),
                params.longValue("size", 0, 0, Long.MAX_VALUE)),
            stream.input(),
            cancel);
    return WorkspaceJson.workspace(w);
  }

  private JsonNode list(Params params) {
    params.requireOnly(Set.of("vm"));
    ObjectNode result = Wire.object();
    ArrayNode all = result.putArray("workspaces");
    service.list(params.string("vm")).forEach(w -> all.add(WorkspaceJson.workspace(w)));
    return result;
  }

  private JsonNode status(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "name"));
    String vm = params.string("vm");
    String name = params.string("name");
    ObjectNode result = Wire.object();
    result.set("guest", WorkspaceJson.status(service.status(vm, name)));
    result.set("workspace", WorkspaceJson.workspace(service.find(vm, name)));
    return result;
  }

  private JsonNode export(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "name", "include_uncommitted"));
    RequestStream stream = params.stream();
    Cancellation cancel = new Cancellation();
    stream.onCancel(cancel::cancel);
    long bytes =
        service.exportBundle(
            params.string("vm"),
            params.string("name"),
            params.bool("include_uncommitted", false),
            stream.output(1),
            cancel);
    return Wire.object().put("bytes", bytes);
  }
}
