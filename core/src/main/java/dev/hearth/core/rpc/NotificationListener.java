package dev.hearth.core.rpc;

/**
 * Receives the notifications a method sends before its final response (the daemon's {@code
 * op.watch}, for one); see {@link RpcClient#call(String, String, NotificationListener)}.
 */
@FunctionalInterface
public interface NotificationListener {
  /**
   * @param method the notification's method, e.g. the daemon's {@code op.progress}
   * @param paramsJson its params as JSON text
   */
  void onNotification(String method, String paramsJson);
}
