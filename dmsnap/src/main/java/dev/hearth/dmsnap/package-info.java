/** Device-mapper copy-on-write snapshots for VM root disks. */
package dev.hearth.dmsnap;
