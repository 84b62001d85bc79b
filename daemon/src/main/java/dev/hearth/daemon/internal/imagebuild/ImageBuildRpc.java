package dev.hearth.daemon.internal.imagebuild;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.rpc.RpcHandler;
import dev.hearth.imagemgr.BuildSpec;
import dev.hearth.imagemgr.ImageSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code image.build} {"name", "from"?, "packages"? (list or comma string), "run_script"? (the
 * script's text, at most 256 KiB), "size"? ("2G" or bytes), "kernel_fd"? (a vmlinux the client
 * opened and passed, {@link ClientFiles}), "kernel_name"?} → {"op": snapshot}, answered once the
 * name is claimed; progress through {@code op.watch}. The daemon opens no path of the client's: the
 * old "run" and "kernel" paths are refused naming their replacements.
 */
public final class ImageBuildRpc implements RpcHandler {
  private final ImageBuildService service;

  public ImageBuildRpc(ImageBuildService service) {
    this.service = service;
  }

  @Override
  public JsonNode handle(Params params) throws InterruptedException {
    ClientFiles.refusePath(
        params,
        "run",
        "run_script",
        "read the script yourself and send its text (UTF-8, at most "
            + BuildSpec.MAX_RUN_SCRIPT_BYTES
            + " bytes)");
    ClientFiles.refusePath(params, "kernel", "kernel_fd", ClientFiles.descriptorHow("kernel"));
    params.requireOnly(
        Set.of("name", "from", "packages", "run_script", "size", "kernel_fd", "kernel_name"));
    String name = params.string("name");
    Optional<String> from = params.optionalString("from");
    List<String> packages = packages(params);
    Optional<String> runScript = params.optionalString("run_script");
    OptionalLong size = params.size("size", "2G");
    Optional<ImageSource> kernel = ClientFiles.optional(params, "kernel");
    ImageBuildRequest request =
        new ImageBuildRequest(name, from, packages, runScript, size, kernel);
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
}
