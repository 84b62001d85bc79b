package dev.hearth.daemon.internal.vm;

import dev.hearth.core.CoreException;
import dev.hearth.core.InvalidNameException;
import dev.hearth.core.Layout;
import dev.hearth.core.OrderedLock;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Image;
import dev.hearth.daemon.VmState;
import dev.hearth.imagemgr.CompressedKernelException;
import dev.hearth.imagemgr.ImageCatalog;
import dev.hearth.imagemgr.ImageConflictException;
import dev.hearth.imagemgr.ImageFile;
import dev.hearth.imagemgr.ImageNames;
import dev.hearth.imagemgr.ImageNotFoundException;
import dev.hearth.imagemgr.ImageReadException;
import dev.hearth.imagemgr.ImageSource;
import dev.hearth.imagemgr.ImageStaging;
import dev.hearth.imagemgr.ImageStagingException;
import dev.hearth.imagemgr.ImagemgrException;
import dev.hearth.imagemgr.InvalidImageFileException;
import dev.hearth.imagemgr.KernelExtractionException;
import dev.hearth.imagemgr.StagedImage;
import dev.hearth.imagemgr.VmlinuxExtractor;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image registry: register, promote, delete, list and show, on the image folders {@code
 * images/<name>/} that {@link VmService} boots from. Every mutation holds {@code imageOpsLock}
 * (promote holds the VM's lock first, in the documented order). Folders made by hand, without a
 * manifest, are listed and usable; their checksums are simply unknown.
 */
public final class ImageService {
  private static final Logger log = LoggerFactory.getLogger(ImageService.class);

  /**
   * A register request: the files as the in-process caller's paths, or as files a client opened and
   * passed (ARCHITECTURE.md, Decisions, "Files from clients"); {@link #register} closes them.
   */
  public record RegisterRequest(
      String name,
      ImageSource kernel,
      ImageSource rootfs,
      Optional<ImageSource> initrd,
      Optional<String> bootArgs,
      boolean extractKernel)
      implements AutoCloseable {
    @Override
    public void close() {
      kernel.close();
      rootfs.close();
      initrd.ifPresent(ImageSource::close);
    }
  }

  private final Layout layout;
  private final VmStore vms;
  private final VmLocks locks;
  private final VmService vmService;
  private final ImageStaging staging;
  private final VmlinuxExtractor extractor;
  private final ImageCatalog catalog;

  public ImageService(
      Layout layout,
      VmLocks locks,
      VmService vmService,
      ImageStaging staging,
      VmlinuxExtractor extractor) {
    this.layout = layout;
    this.vms = vmService.store();
    this.locks = locks;
    this.vmService = vmService;
    this.staging = staging;
    this.extractor = extractor;
    this.catalog = new ImageCatalog(layout.imagesDir());
  }

  /** Removes what crashed registrations, promotions and deletions left; before serving. */
  public void cleanupStale() {
    List<Path> removed = staging.cleanupStale();
    if (!removed.isEmpty()) {
      log.info("removed {} stale image staging folder(s)", removed.size());
    }
  }

  // ---- reading ----

  /** Every image folder holding a kernel and a rootfs, by name. */
  public List<Image> list() {
    try {
      return catalog.list().stream().map(ImageService::image).toList();
    } catch (ImageReadException e) {
      throw HearthException.hostError(e.getMessage());
    }
  }

  /**
   * One image.
   *
   * @throws HearthException not_found when no such image folder exists
   */
  public Image show(String name) {
    requireName(name);
    return read(name);
  }

  /** The names of the VMs (any state) made from the image, sorted. */
  public List<String> usedBy(String name) {
    return vms.list().stream()
        .filter(v -> v.image().equals(name))
        .map(Vm::name)
        .sorted()
        .collect(Collectors.toList());
  }

  // ---- mutations ----

  /**
   * Validates the files, stages and checksums them without a lock, then publishes the image under
   * imageOpsLock.
   *
   * @throws HearthException invalid params for a bad name or file (naming it), conflict for a taken
   *     name, host_error when copying or publishing fails
   */
  public Image register(RegisterRequest request) throws InterruptedException {
    try (request) {
      return registerOpen(request);
    }
  }

  private Image registerOpen(RegisterRequest request) throws InterruptedException {
    requireName(request.name());
    // Staging and checksumming (a long read for a large rootfs) work on a private folder and hold
    // no lock; only the publish, whose conflict check and rename must not interleave with another
    // image mutation, takes imageOpsLock. Two registers of one name both stage; the second to
    // publish finds the name taken and is a conflict, and its staging is removed.
    try (StagedImage staged = staging.begin(request.name())) {
      stageKernel(staged, request.kernel(), request.extractKernel());
      staged.copyRootfs(request.rootfs());
      if (request.initrd().isPresent()) {
        staged.copyInitrd(request.initrd().get());
      }
      request.bootArgs().ifPresent(staged::bootArgs);
      staged.checksum();
      vmService.stageBarrier().reached("image.register");
      try (OrderedLock.Held held = locks.imageOpsLock().lock()) {
        staged.publish();
      }
      log.info("registered image {}", request.name());
    } catch (ImagemgrException | CoreException e) {
      throw asRpc("registering image '" + request.name() + "'", e);
    }
    return read(request.name());
  }

  /**
   * Flattens a stopped VM's root disk into a new image with its source image's kernel, initrd and
   * boot args. Holds the VM's lock (so it cannot start meanwhile) while it copies and checksums,
   * then imageOpsLock to publish.
   *
   * @throws HearthException precondition_failed unless the VM is stopped, conflict for a taken name
   */
  public Image promote(String vmRef, String name) throws InterruptedException {
    requireName(name);
    String id = vmService.find(vmRef).id();
    try (OrderedLock.Held vmHeld = locks.vm(id).lock()) {
      Vm vm = vmService.find(id);
      if (vm.state() != VmState.STOPPED) {
        throw HearthException.preconditionFailed(
            "VM "
                + vm.name()
                + " is "
                + vm.state().wireName()
                + "; promote needs a stopped VM: run `hearth vm stop "
                + vm.name()
                + "` first");
      }
      Path disk =
          vm.rootDisk()
              .orElseThrow(
                  () ->
                      HearthException.preconditionFailed(
                          "VM " + vm.name() + " has no root disk to promote"))
              .path();
      Path source = layout.imageDir(vm.image());
      try (StagedImage staged = staging.begin(name)) {
        staged.copyBootFrom(source);
        staged.copyDisk(disk);
        staged.checksum();
        vmService.stageBarrier().reached("image.promote");
        try (OrderedLock.Held imageHeld = locks.imageOpsLock().lock()) {
          staged.publish();
        }
        log.info("promoted VM {} ({}) to image {}", vm.name(), vm.id(), name);
      } catch (ImagemgrException | CoreException e) {
        throw asRpc("promoting VM " + vm.name() + " to image '" + name + "'", e);
      }
    }
    return read(name);
  }

  /**
   * Deletes an image no VM uses: its folder is renamed into the staging folder (gone from the
   * registry at once), the users are checked again, then it is removed (imagemgr's {@link
   * ImageStaging#delete}).
   *
   * @throws HearthException not_found, or precondition_failed naming the VMs that use it
   */
  public String delete(String name) {
    requireName(name);
    try (OrderedLock.Held held = locks.imageOpsLock().lock()) {
      staging.delete(name, () -> requireUnused(name));
    } catch (ImageNotFoundException e) {
      throw notFound(name);
    } catch (ImageStagingException e) {
      throw HearthException.hostError(e.getMessage());
    }
    log.info("deleted image {}", name);
    return name;
  }

  // ---- helpers ----

  private void stageKernel(StagedImage staged, ImageSource source, boolean extract)
      throws InterruptedException {
    Path kernel = staged.receive(source, "kernel.received");
    try {
      staged.copyKernel(kernel);
    } catch (CompressedKernelException e) {
      if (!extract) {
        throw StagedImage.relabel(e, source, kernel);
      }
      extractor.extract(kernel, staged.pathOf(ImageFile.KERNEL));
      staged.adopt(ImageFile.KERNEL);
    } catch (RuntimeException e) {
      throw StagedImage.relabel(e, source, kernel);
    }
  }

  private void requireUnused(String name) {
    List<String> users = usedBy(name);
    if (!users.isEmpty()) {
      throw inUse(name, users);
    }
  }

  private static HearthException inUse(String name, List<String> users) {
    return HearthException.preconditionFailed(
        "image '"
            + name
            + "' is used by VM(s) "
            + String.join(", ", users)
            + "; delete them first (`hearth vm delete`)");
  }

  private Image read(String name) {
    try {
      return catalog.find(name).map(ImageService::image).orElseThrow(() -> notFound(name));
    } catch (ImageReadException e) {
      throw HearthException.hostError(e.getMessage());
    }
  }

  private static Image image(ImageCatalog.Image i) {
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

  private static void requireName(String name) {
    try {
      ImageNames.requireValid(name);
    } catch (InvalidNameException e) {
      throw HearthException.invalid(e.getMessage());
    }
  }

  private HearthException notFound(String name) {
    return HearthException.notFound(
        "no image named '" + name + "' in " + layout.imagesDir() + "; see `hearth image list`");
  }

  private static HearthException asRpc(String doing, RuntimeException e) {
    if (e instanceof InvalidImageFileException
        || e instanceof KernelExtractionException
        || e instanceof InvalidNameException) {
      return HearthException.invalid(e.getMessage());
    }
    if (e instanceof ImageConflictException) {
      return HearthException.conflict(e.getMessage() + "; choose another name or delete it first");
    }
    return HearthException.hostError(doing + " failed: " + e.getMessage());
  }
}
