package dev.hearth.core;

import java.nio.charset.StandardCharsets;

/**
 * Keeps at most {@code cap} bytes of a stream: either the first ones (head) or the last ones
 * (tail), and remembers whether anything was dropped. Memory grows with what is kept, not with the
 * cap.
 */
final class BoundedCapture {
  private final int cap;
  private final boolean keepTail;
  private byte[] ring = new byte[0];
  private int start;
  private int size;
  private long total;

  private BoundedCapture(int cap, boolean keepTail) {
    this.cap = cap;
    this.keepTail = keepTail;
  }

  static BoundedCapture head(int cap) {
    return new BoundedCapture(cap, false);
  }

  static BoundedCapture tail(int cap) {
    return new BoundedCapture(cap, true);
  }

  synchronized void write(byte[] data, int len) {
    total += len;
    if (!keepTail) {
      int n = Math.min(len, cap - size);
      if (n > 0) {
        grow(size + n);
        System.arraycopy(data, 0, ring, size, n);
        size += n;
      }
      return;
    }
    if (cap == 0) {
      return;
    }
    if (len >= cap) {
      grow(cap);
      System.arraycopy(data, len - cap, ring, 0, cap);
      start = 0;
      size = cap;
      return;
    }
    for (int i = 0; i < len; i++) {
      if (size < cap) {
        grow(size + 1);
        ring[(start + size) % ring.length] = data[i];
        size++;
      } else {
        ring[start] = data[i];
        start = (start + 1) % ring.length;
      }
    }
  }

  /** Makes room for {@code needed} bytes, laying the kept bytes out from index 0. */
  private void grow(int needed) {
    if (needed <= ring.length) {
      return;
    }
    long size = Math.max(needed, Math.max(4096L, ring.length * 2L));
    byte[] next = new byte[(int) Math.min(cap, size)];
    byte[] kept = bytes();
    System.arraycopy(kept, 0, next, 0, kept.length);
    ring = next;
    start = 0;
  }

  synchronized byte[] bytes() {
    byte[] out = new byte[size];
    for (int i = 0; i < size; i++) {
      out[i] = ring[(start + i) % ring.length];
    }
    return out;
  }

  synchronized boolean truncated() {
    return total > cap;
  }

  synchronized String text() {
    return new String(bytes(), StandardCharsets.UTF_8);
  }
}
