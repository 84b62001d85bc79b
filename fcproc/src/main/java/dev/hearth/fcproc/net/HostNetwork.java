package dev.hearth.fcproc.net;

import java.util.List;

/**
 * The host side of guest networking as the VM lifecycle needs it: the bridge with outbound NAT, and
 * the guests' TAP devices. {@link LinuxHostNetwork} is the real one; tests use a fake.
 */
public interface HostNetwork {
  /** Makes the bridge exist with its address and the NAT rules in place; idempotent. */
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

  /** Deletes the TAP; a missing one is not an error. */
  void deleteTap(String tap) throws InterruptedException;

  /** Every TAP on the host whose name is one of ours. */
  List<String> listTaps() throws InterruptedException;
}
