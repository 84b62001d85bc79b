package dev.hearth.dmsnap;

/** The steps of creating a root disk, named in {@link DiskCreateException}. */
public enum CreateStep {
  INSPECT_IMAGE("read the image's size"),
  ATTACH_IMAGE_LOOP("attach a read-only loop device to the image"),
  READ_IMAGE_SECTORS("read the image's size in sectors"),
  CREATE_COW_FILE("create the sparse COW file"),
  ATTACH_COW_LOOP("attach a loop device to the COW file"),
  CREATE_BASE_DEVICE("create the zero-extended origin device"),
  CREATE_SNAPSHOT_DEVICE("create the snapshot device"),
  COPY_IMAGE("copy the image"),
  EXTEND_FILE("extend the disk file"),
  CHECK_FILESYSTEM("check the filesystem before growing it"),
  RESIZE_FILESYSTEM("grow the filesystem"),
  SYNC_DISK("sync the finished disk file to storage"),
  PUBLISH_COPY("move the finished copy into place"),
  SYNC_FOLDER("sync the VM folder to storage");

  private final String description;

  CreateStep(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }
}
