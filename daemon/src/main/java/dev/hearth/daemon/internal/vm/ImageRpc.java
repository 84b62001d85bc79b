package dev.hearth.daemon.internal.vm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.Images;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.daemon.internal.rpc.ImageMethods;
import dev.hearth.daemon.internal.rpc.Params;
import java.util.Set;

/**
 * The {@code image.*} RPC methods: params read into the API's records by {@link ApiJson}, the
 * in-process {@link Images}, the records out as JSON.
 */
public final class ImageRpc implements ImageMethods {
  private final Images images;

  public ImageRpc(Images images) {
    this.images = images;
  }

  @Override
  public JsonNode register(Params params) throws InterruptedException {
    return ApiJson.image(images.register(ApiJson.imageRegistration(params)));
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
