package dev.hearth.fcproc.net;

import java.util.List;

/**
 * The host side of guest networking as the VM lifecycle needs it: the bridge with outbound NAT, and
 * the guests' TAP devices, each guarded to its guest's MAC and address. {@link LinuxHostNetwork} is
 * the real one; tests use a fake.
 */
public interface HostNetwork {
  /**
   * Makes the bridge exist with its address and the NAT rules in place, and drops the guards of
   * TAPs gone from the host; idempotent.
   */
  void ensure() throws InterruptedException;

  /** The name of TAP number {@code index}: hearth's prefix and the number. */
  String tapName(int index);

  /** Creates the TAP and attaches it to the bridge, up. */
  void createTap(String tap) throws InterruptedException;

  /**
   * Puts an existing TAP on the bridge and brings it up; idempotent. Pooled TAPs go through it
   * before use, and a stopped VM's TAP at start: an earlier daemon may have had another bridge.
   */
  void attachTap(String tap) throws InterruptedException;

  /**
   * Makes the TAP anew, owned by {@code uid} (so that a VMM running as that user attaches it
   * without CAP_NET_ADMIN), on the bridge and up; its guard, keyed by name, stays. A TAP's owner
   * can only be set when it is made, hence the new device.
   */
  void ownTap(String tap, int uid) throws InterruptedException;

  /**
   * Holds the TAP to its guest: frames must carry the guest's MAC and address (see {@link
   * TapGuards}). Installed whenever a TAP is given to a VM, before the VM boots; replaces an
   * earlier guard of the TAP.
   */
  void guardTap(String tap, TapGuest guest) throws InterruptedException;

  /**
   * Holds what passes through the TAP to {@code bytesPerSecond} each way (0: no limit), for a VMM
   * that cannot limit its own network; replaces earlier limits and goes with the TAP's guard.
   */
  void limitTap(String tap, long bytesPerSecond) throws InterruptedException;

  /** Removes the TAP's guard and limits (a TAP going back to the pool); none is not an error. */
  void unguardTap(String tap) throws InterruptedException;

  /** Deletes the TAP and its guard; a missing one is not an error. */
  void deleteTap(String tap) throws InterruptedException;

  /** Every TAP on the host whose name is one of ours. */
  List<String> listTaps() throws InterruptedException;
}
