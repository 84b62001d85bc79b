package dev.hearth.fcproc.process;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * A VM's jail while it is being set up ({@link Jailer#prepare}): its folder, the jailer's command
 * line and the user firecracker will run as. The VM's files go in with {@link #share} and {@link
 * #give}, each returning the path firecracker is to be given over its API.
 */
public final class JailedVm {
  private final JailerChroot chroot;
  private final JailerCommand command;
  private final VmUser user;

  JailedVm(JailerChroot chroot, JailerCommand command, VmUser user) {
    this.chroot = requireNonNull(chroot, "chroot");
    this.command = requireNonNull(command, "command");
    this.user = requireNonNull(user, "user");
  }

  public JailerChroot chroot() {
    return chroot;
  }

  public JailerCommand command() {
    return command;
  }

  public VmUser user() {
    return user;
  }

  /** A file shared between VMs (kernel, initrd): readable inside the jail, owned as it is. */
  public Path share(String name, Path file) throws InterruptedException {
    return chroot.share(name, file);
  }

  /** One of the VM's own files (root disk, logs): owned by the VM's user while the jail exists. */
  public Path give(String name, Path file) throws InterruptedException {
    return chroot.give(name, file, user.uid(), user.gid());
  }
}
