package dev.hearth.daemon.internal.vm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.Images;
import dev.hearth.daemon.internal.imagebuild.ClientFiles;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.daemon.internal.rpc.ImageMethods;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.imagemgr.ImageSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code image.*} RPC methods: params read into the API's records by {@link ApiJson}, the
 * in-process {@link Images}, the records out as JSON.
 */
public final class ImageRpc implements ImageMethods {
  private static final Set<String> REGISTER_PARAMS =
      Set.of(
          "name",
          "kernel_fd",
          "kernel_name",
          "rootfs_fd",
          "rootfs_name",
          "initrd_fd",
          "initrd_name",
          "boot_args",
          "extract_kernel");

  private final Images images;
  private final ImageService service;

  public ImageRpc(Images images, ImageService service) {
    this.images = images;
    this.service = service;
  }

  /**
   * {@code image.register} {"name", "kernel_fd", "rootfs_fd", "initrd_fd"?, each with an optional
   * "*_name", "boot_args"?, "extract_kernel"?}: the files are descriptors the client opened and
   * passed ({@link ClientFiles}).
   */
  @Override
  public JsonNode register(Params params) throws InterruptedException {
    for (String field : List.of("kernel", "rootfs", "initrd")) {
      ClientFiles.refusePath(
          params, field, field + ClientFiles.FD, ClientFiles.descriptorHow(field));
    }
    params.requireOnly(REGISTER_PARAMS);
    String name = params.string("name");
    Optional<String> bootArgs = params.optionalString("boot_args");
    boolean extract = params.bool("extract_kernel", false);
    ImageSource kernel = null;
    ImageSource rootfs = null;
    try {
      kernel = ClientFiles.required(params, "kernel");
      rootfs = ClientFiles.required(params, "rootfs");
      Optional<ImageSource> initrd = ClientFiles.optional(params, "initrd");
      ImageService.RegisterRequest request =
          new ImageService.RegisterRequest(name, kernel, rootfs, initrd, bootArgs, extract);
      kernel = null;
      rootfs = null;
      return ApiJson.image(service.register(request));
    } finally {
      if (kernel != null) {
        kernel.close();
      }
      if (rootfs != null) {
        rootfs.close();
      }
    }
  }

  @Override
  public JsonNode list(Params params) {
    params.requireNone();
    return ApiJson.images(images.list());
  }

  @Override
  public JsonNode show(Params params) {
    params.requireOnly(Set.of("image"));
    return ApiJson.imageDetails(images.show(params.string("image")));
  }

  @Override
  public JsonNode delete(Params params) {
    params.requireOnly(Set.of("image"));
    return Wire.object().put("deleted", images.delete(params.string("image")));
  }

  @Override
  public JsonNode promote(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "name"));
    return ApiJson.image(images.promote(params.string("vm"), params.string("name")));
  }
}
