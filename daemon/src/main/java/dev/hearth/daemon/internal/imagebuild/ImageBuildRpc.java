package dev.hearth.daemon.internal.imagebuild;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.rpc.RpcHandler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code image.build} {"name", "from"?, "packages"? (list or comma string), "run"? (a script on the
 * daemon's host), "size"? ("2G" or bytes), "kernel"? (a vmlinux on the daemon's host)} → {"op":
 * snapshot}, answered once the name is claimed; progress through {@code op.watch}.
 */
public final class ImageBuildRpc implements RpcHandler {
  private final ImageBuildService service;

  public ImageBuildRpc(ImageBuildService service) {
    this.service = service;
  }

  @Override
  public JsonNode handle(Params params) throws InterruptedException {
    params.requireOnly(Set.of("name", "from", "packages", "run", "size", "kernel"));
    ImageBuildRequest request =
        new ImageBuildRequest(
            params.string("name"),
            params.optionalString("from"),
            packages(params),
            hostPath(params, "run"),
            params.size("size", "2G"),
            hostPath(params, "kernel"));
    ObjectNode result = Wire.object();
    result.set("op", ApiJson.op(ApiJson.op(service.start(request))));
    return result;
  }

  private static List<String> packages(Params params) {
    Optional<JsonNode> node = params.node("packages");
    if (node.isEmpty()) {
      return List.of();
    }
    List<String> raw = new ArrayList<>();
    JsonNode n = node.get();
    if (n.isTextual()) {
      raw.addAll(List.of(n.textValue().split(",")));
    } else if (n.isArray()) {
      for (JsonNode item : n) {
        if (!item.isTextual()) {
          throw params.invalid("packages", "give package names as strings");
        }
        raw.add(item.textValue());
      }
    } else {
      throw params.invalid("packages", "give a list of package names or \"a,b\"");
    }
    return raw.stream().map(String::strip).filter(p -> !p.isEmpty()).distinct().toList();
  }

  private static Optional<Path> hostPath(Params params, String field) {
    Optional<String> value = params.optionalString(field);
    if (value.isPresent() && !value.get().startsWith("/")) {
      throw params.invalid(field, "give an absolute path on the daemon's host");
    }
    return value.map(Path::of);
  }
}
