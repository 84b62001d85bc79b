package dev.hearth.daemon;

import java.util.List;

/** The image registry of one hearth. */
public interface Images {
  /**
   * Validates the files, copies them into the registry and publishes the image.
   *
   * @throws HearthException {@code invalid} for a bad name or file (naming it), {@code conflict}
   *     for a taken name, {@code host_error} when copying fails
   */
  Image register(ImageRegistration registration) throws InterruptedException;

  /** Every image, by name. */
  List<Image> list();

  /**
   * @throws HearthException {@code not_found} for an unknown image
   */
  ImageDetails show(String name);

  /**
   * Deletes the image; returns its name.
   *
   * @throws HearthException {@code precondition_failed} naming the VMs that use it
   */
  String delete(String name);

  /**
   * Makes a stopped VM's root disk a new image.
   *
   * @throws HearthException {@code precondition_failed} unless the VM is stopped, {@code conflict}
   *     for a taken name
   */
  Image promote(String vm, String name) throws InterruptedException;

  /**
   * Claims the name and starts the operation (kind {@code image.build}) that builds the image: its
   * stages are the build script's, its log the script's output.
   *
   * @throws HearthException {@code invalid} for a bad name, distribution, package or file, {@code
   *     conflict} for a taken name or one being built
   */
  ImageBuilding build(ImageBuildSpec spec) throws InterruptedException;
}
