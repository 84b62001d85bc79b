/**
 * VM root disks. {@link dev.hearth.dmsnap.RootDiskProvisioner} has two implementations: {@link
 * dev.hearth.dmsnap.DmSnapshotProvisioner} (device-mapper copy-on-write snapshots of a read-only
 * loop on the image) and {@link dev.hearth.dmsnap.CopyProvisioner} (reflinked or sparse copies, for
 * hosts without device-mapper). {@link dev.hearth.dmsnap.Provisioners#choose} picks one from the
 * {@code disk_provisioner} setting and what {@link dev.hearth.dmsnap.DeviceMapperProbe} finds.
 *
 * <p>Every host command goes through core's {@code Runner}. A create that fails undoes its earlier
 * steps; {@code list} and {@code removeLeaked} let reconcile find and remove what a crash left.
 *
 * <p>{@link dev.hearth.dmsnap.DiskChecks} are the doctor's disk checks (device-mapper, the
 * provisioner, reflinks through {@link dev.hearth.dmsnap.ReflinkProbe}, the disk tools).
 */
package dev.hearth.dmsnap;
