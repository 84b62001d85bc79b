package dev.hearth.core.rpc;

/**
 * Receives what a streaming request (the daemon's {@code vm.exec}, for one) sends before its
 * result: the {@link RequestStream#OUTPUT_METHOD} notifications' bytes, and any other notification;
 * see {@link RpcClient#openStream}. Called on the thread that runs {@link
 * RpcClient.Stream#awaitResult()}.
 */
public interface StreamListener {
  /**
   * Bytes of output, in the order the server sent them for that descriptor.
   *
   * @param fd 1 for stdout, 2 for stderr
   */
  void onOutput(int fd, byte[] data);

  /** Any other notification of the request; ignored unless overridden. */
  default void onNotification(String method, String paramsJson) {}
}
