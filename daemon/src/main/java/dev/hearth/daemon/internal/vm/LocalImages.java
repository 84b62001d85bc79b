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
    return service.register(
        new ImageService.RegisterRequest(
            r.name(), r.kernel(), r.rootfs(), r.initrd(), r.bootArgs(), r.extractKernel()));
  }

  @Override
  public List<Image> list() {
    return service.list();
  }

  @Override
  public ImageDetails show(String name) {
    Image image = service.show(name);
    return new ImageDetails(image, service.usedBy(name));
  }

  @Override
  public String delete(String name) {
    return service.delete(name);
  }

  @Override
  public Image promote(String vm, String name) throws InterruptedException {
    return service.promote(vm, name);
  }
}
