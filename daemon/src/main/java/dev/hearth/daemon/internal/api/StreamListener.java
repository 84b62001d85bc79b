package dev.hearth.daemon.internal.api;

/**
 * Receives what a streaming request ({@code vm.exec}, {@code vm.shell}, {@code vm.copy}) sends
 * before its result; see {@link HearthClient#openStream}. Called on the thread that runs {@link
 * HearthClient.Stream#awaitResult()}.
 */
public interface StreamListener {
  /**
   * Bytes of output, in the order the guest wrote them on that descriptor.
   *
   * @param fd 1 for stdout, 2 for stderr
   */
  void onOutput(int fd, byte[] data);

  /** Any other notification of the request; ignored unless overridden. */
  default void onNotification(String method, String paramsJson) {}
}
