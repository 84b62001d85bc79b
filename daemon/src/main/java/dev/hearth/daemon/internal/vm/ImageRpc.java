package dev.hearth.daemon.internal.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.daemon.internal.rpc.ImageMethods;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.rpc.Wire;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/** The {@code image.*} RPC methods: params in, JSON out, on {@link ImageService}. */
public final class ImageRpc implements ImageMethods {
  private final ImageService service;

  public ImageRpc(ImageService service) {
    this.service = service;
  }

  @Override
  public JsonNode register(Params params) throws InterruptedException {
    params.requireOnly(
        Set.of("name", "kernel", "rootfs", "initrd", "boot_args", "extract_kernel"));
    ImageService.RegisterRequest request =
        new ImageService.RegisterRequest(
            params.string("name"),
            absolute(params, "kernel", params.string("kernel")),
            absolute(params, "rootfs", params.string("rootfs")),
            params.optionalString("initrd").map(p -> absolute(params, "initrd", p)),
            params.optionalString("boot_args"),
            params.bool("extract_kernel", false));
    return image(service.register(request));
  }

  @Override
  public JsonNode list(Params params) {
    params.requireNone();
    ObjectNode result = Wire.object();
    ArrayNode images = result.putArray("images");
    service.list().forEach(i -> images.add(image(i)));
    return result;
  }

  @Override
  public JsonNode show(Params params) {
    params.requireOnly(Set.of("image"));
    String name = params.string("image");
    ObjectNode result = image(service.show(name));
    ArrayNode users = result.putArray("used_by");
    service.usedBy(name).forEach(users::add);
    return result;
  }

  @Override
  public JsonNode delete(Params params) {
    params.requireOnly(Set.of("image"));
    return Wire.object().put("deleted", service.delete(params.string("image")));
  }

  @Override
  public JsonNode promote(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "name"));
    return image(service.promote(params.string("vm"), params.string("name")));
  }

  /** Paths are the daemon host's; a relative one would depend on the daemon's folder. */
  private static Path absolute(Params params, String field, String value) {
    Path path = Path.of(value);
    if (!path.isAbsolute()) {
      throw params.invalid(field, "give an absolute path; got '" + Wire.abbreviate(value) + "'");
    }
    return path;
  }

  static ObjectNode image(ImageService.Image image) {
    ObjectNode o =
        Wire.object()
            .put("name", image.name())
            .put("kernel", image.kernel().toString())
            .put("rootfs", image.rootfs().toString());
    Optional<Path> initrd = image.initrd();
    initrd.ifPresent(p -> o.put("initrd", p.toString()));
    o.put("boot_args", image.bootArgs()).put("size_bytes", image.sizeBytes());
    ObjectNode sums = o.putObject("sha256");
    image.sha256().forEach(sums::put);
    o.put("created_at", image.createdAt().toString());
    return o;
  }
}
