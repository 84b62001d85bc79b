package dev.hearth.daemon;

import dev.hearth.core.rpc.NotificationListener;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.testing.Await;
import dev.hearth.daemon.internal.api.HearthClient;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Client calls with a deadline. {@link HearthClient} waits for its answer as long as it takes, as a
 * client should; a test must not, so a daemon that does not answer fails the test naming the call
 * rather than blocking it.
 */
final class Rpc {
  /** The slowest calls are stops and starts on a loaded machine; a minute or two at worst. */
  static final Duration DEADLINE = Duration.ofMinutes(3);

  private Rpc() {}

  static String call(HearthClient client, String method, String paramsJson) {
    return bounded(describe(method, paramsJson), () -> client.call(method, paramsJson));
  }

  static String call(
      HearthClient client, String method, String paramsJson, NotificationListener listener) {
    return call(DEADLINE, client, method, paramsJson, listener);
  }

  /** For calls slower than {@link #DEADLINE}, such as watching an image build. */
  static String call(
      Duration deadline,
      HearthClient client,
      String method,
      String paramsJson,
      NotificationListener listener) {
    return bounded(
        deadline, describe(method, paramsJson), () -> client.call(method, paramsJson, listener));
  }

  /** The result of a stream, once it has ended. */
  static String result(RpcClient.Stream stream, String what) {
    return bounded("the end of the stream of " + what, stream::awaitResult);
  }

  /** Runs a blocking call with {@link #DEADLINE}; what it throws unchecked is thrown as is. */
  static <T> T bounded(String what, Callable<T> call) {
    return bounded(DEADLINE, what, call);
  }

  static <T> T bounded(Duration deadline, String what, Callable<T> call) {
    try {
      return Await.call(deadline, what, call);
    } catch (RuntimeException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + what, e);
    } catch (Exception e) {
      throw new IllegalStateException(what + " failed", e);
    }
  }

  private static String describe(String method, String paramsJson) {
    String params = paramsJson == null ? "" : paramsJson;
    return "the answer to "
        + method
        + " "
        + (params.length() > 200 ? params.substring(0, 200) + "…" : params);
  }
}
