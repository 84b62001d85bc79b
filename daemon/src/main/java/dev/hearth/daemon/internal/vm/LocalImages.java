package dev.hearth.daemon.internal.vm;

import dev.hearth.daemon.Image;
import dev.hearth.daemon.ImageDetails;
import dev.hearth.daemon.ImageRegistration;
import dev.hearth.daemon.Images;
import java.util.List;

/** {@link Images} in-process, on {@link ImageService}. */
public final class LocalImages implements Images {
  private final ImageService service;

  public LocalImages(ImageService service) {
    this.service = service;
  }

  @Override
  public Image register(ImageRegistration r) throws InterruptedException {
    return toApi(
        service.register(
            new ImageService.RegisterRequest(
                r.name(), r.kernel(), r.rootfs(), r.initrd(), r.bootArgs(), r.extractKernel())));
  }

  @Override
  public List<Image> list() {
    return service.list().stream().map(LocalImages::toApi).toList();
  }

  @Override
  public ImageDetails show(String name) {
    Image image = toApi(service.show(name));
    return new ImageDetails(image, service.usedBy(name));
  }

  @Override
  public String delete(String name) {
    return service.delete(name);
  }

  @Override
  public Image promote(String vm, String name) throws InterruptedException {
    return toApi(service.promote(vm, name));
  }

  private static Image toApi(ImageService.Image i) {
    return new Image(
        i.name(),
        i.kernel(),
        i.rootfs(),
        i.initrd(),
        i.bootArgs(),
        i.sizeBytes(),
        i.sha256(),
        i.createdAt());
  }
}
