package dev.hearth.daemon.internal.api;

/**
 * Receives the notifications a streaming method ({@code op.watch}, {@code vm.logs} with follow)
 * sends before its final response; see {@link HearthClient#call(String, String,
 * NotificationListener)}.
 */
@FunctionalInterface
public interface NotificationListener {
  /**
   * @param method the notification's method, e.g. {@code op.progress}
   * @param paramsJson its params as JSON text
   */
  void onNotification(String method, String paramsJson);
}
