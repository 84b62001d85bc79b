package dev.hearth.daemon.internal.vm;

import dev.hearth.daemon.Image;
import dev.hearth.daemon.ImageBuildSpec;
import dev.hearth.daemon.ImageBuilding;
import dev.hearth.daemon.ImageDetails;
import dev.hearth.daemon.ImageRegistration;
import dev.hearth.daemon.Images;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.Ops;
import dev.hearth.daemon.internal.api.OpHandle;
import dev.hearth.daemon.internal.imagebuild.ClientFiles;
import dev.hearth.daemon.internal.imagebuild.ImageBuildRequest;
import dev.hearth.daemon.internal.imagebuild.ImageBuildService;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.imagemgr.ImageSource;
import java.util.List;

/** {@link Images} in-process, on {@link ImageService}. */
public final class LocalImages implements Images {
  private final ImageService service;
  private final ImageBuildService builds;
  private final Ops ops;

  public LocalImages(ImageService service, ImageBuildService builds, Ops ops) {
    this.service = service;
    this.builds = builds;
    this.ops = ops;
  }

  @Override
  public Image register(ImageRegistration r) throws InterruptedException {
    // In-process, the paths are opened with the embedding process's own rights.
    return service.register(
        new ImageService.RegisterRequest(
            r.name(),
            ImageSource.of(r.kernel()),
            ImageSource.of(r.rootfs()),
            r.initrd().map(ImageSource::of),
            r.bootArgs(),
            r.extractKernel()));
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

  @Override
  public ImageBuilding build(ImageBuildSpec spec) throws InterruptedException {
    Op op =
        ApiJson.op(
            builds.start(
                new ImageBuildRequest(
                    spec.name(),
                    spec.from(),
                    spec.packages(),
                    spec.run().map(ClientFiles::readRunScript),
                    spec.sizeBytes(),
                    spec.kernel().map(ImageSource::of))));
    return new ImageBuilding(op, new OpHandle<>(op.id(), ops, end -> show(spec.name()).image()));
  }
}
