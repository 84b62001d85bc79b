package dev.hearth.daemon.internal.api;

import dev.hearth.core.rpc.NotificationListener;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.rpc.StreamListener;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VersionInfo;
import dev.hearth.daemon.internal.rpc.DaemonJson;
import dev.hearth.daemon.internal.rpc.ErrorKind;
import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The line client under {@link RemoteHearth}: core's {@link RpcClient} on a hearth daemon's socket,
 * which it checks speaks this client's protocol version, with the daemon's failures as this
 * module's exceptions ({@link DaemonFailures}). Raw JSON text in and out.
 */
public final class HearthClient implements AutoCloseable {
  /** The protocol version this client speaks; the daemon must report the same. */
  public static final int PROTOCOL_VERSION = Hearth.PROTOCOL_VERSION;

  private final RpcClient rpc;
  private VersionInfo daemon;

  private HearthClient(RpcClient rpc) {
    this.rpc = rpc;
  }

  /**
   * Connects to the daemon at {@code socket} and checks that it speaks {@link #PROTOCOL_VERSION}.
   *
   * @throws DaemonUnavailableException when no daemon answers there
   * @throws ProtocolMismatchException when the daemon speaks another protocol version
   * @throws HearthException when the daemon refuses the client (not authorised, busy)
   */
  public static HearthClient connect(Path socket) {
    return connect(socket, RpcClient.connect(socket, new DaemonFailures(socket)));
  }

  /**
   * Connects as {@link #connect} does, on a channel that can also pass open files with a request
   * ({@link #callWithFiles}).
   */
  public static HearthClient connectPassingFiles(Path socket) {
    return connect(socket, RpcClient.connectPassingFiles(socket, new DaemonFailures(socket)));
  }

  private static HearthClient connect(Path socket, RpcClient rpc) {
    HearthClient client = new HearthClient(rpc);
    try {
      VersionInfo daemon = client.fetchVersion();
      client.daemon = daemon;
      if (daemon.protocolVersion() != PROTOCOL_VERSION) {
        throw new ProtocolMismatchException(
            "the hearth daemon at "
                + socket
                + " speaks protocol version "
                + daemon.protocolVersion()
                + " (hearth "
                + daemon.version()
                + ") but this client"
                + " speaks version "
                + PROTOCOL_VERSION
                + ": use a hearth CLI of the daemon's"
                + " version, or upgrade both to the same version and restart the daemon");
      }
      return client;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** Checks that the daemon answers. */
  public void ping() {
    rpc.request("daemon.ping", null);
  }

  /**
   * What the daemon said about itself when this client connected: a daemon does not change while a
   * connection to it lasts, so {@code hearth version} needs no second round trip.
   */
  public VersionInfo version() {
    return daemon;
  }

  /** Asks the daemon about itself (read without building a JSON tree: every connect runs it). */
  private VersionInfo fetchVersion() {
    return rpc.request("daemon.version", null).result(DaemonJson::versionInfo);
  }

  /** Runs the doctor checks in the daemon. */
  public DoctorReport doctor() {
    return DaemonJson.doctorReport(rpc.request("daemon.doctor", null).result());
  }

  /**
   * Sends a raw request.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @return the result as JSON text
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   * @throws HearthException when the daemon answers with an error (with its wire code)
   */
  public String call(String method, String paramsJson) {
    return rpc.call(method, paramsJson);
  }

  /**
   * Sends a raw request to a streaming method ({@code op.watch}, {@code vm.logs} with {@code
   * follow}): {@code listener} is called on this thread for every notification that arrives before
   * the response.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @return the final result as JSON text
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   * @throws HearthException when the daemon answers with an error (with its wire code)
   */
  public String call(String method, String paramsJson, NotificationListener listener) {
    return rpc.call(method, paramsJson, listener);
  }

  /**
   * Sends a request that passes open files with its line (SCM_RIGHTS); the params name them by
   * their index in {@code files}. Only on a client from {@link #connectPassingFiles}.
   *
   * @return the result as JSON text
   * @throws IllegalStateException on a client from {@link #connect}
   * @throws HearthException when the daemon answers with an error (with its wire code)
   */
  public String callWithFiles(String method, String paramsJson, List<FileDescriptor> files) {
    return rpc.callWithFiles(method, paramsJson, files);
  }

  /**
   * Starts a streaming request ({@code vm.exec}, {@code vm.shell}, {@code vm.copy}); see {@link
   * RpcClient#openStream}. Its failures are this module's exceptions, as every call's.
   *
   * @param paramsJson the params as JSON text; null or blank for none
   * @throws IllegalArgumentException when {@code paramsJson} is not valid JSON
   * @throws IllegalStateException when another stream of this client is still open
   * @throws DaemonUnavailableException when the request cannot be sent
   */
  public RpcClient.Stream openStream(String method, String paramsJson, StreamListener listener) {
    return rpc.openStream(method, paramsJson, listener);
  }

  @Override
  public void close() {
    rpc.close();
  }

  /**
   * The daemon's failures as this module's exceptions, each naming the socket: an error it answered
   * with is a {@link HearthException} whose kind comes from the code (the reverse of {@link
   * ErrorKind#of}; a code the API has no kind for, such as a protocol error's, is {@code
   * protocol}), with the message as the daemon wrote it and the code.
   */
  private record DaemonFailures(Path socket) implements RpcClient.Failures {
    @Override
    public RuntimeException cannotConnect(IOException cause) {
      return new DaemonUnavailableException(
          socket,
          "cannot connect to the hearth daemon at "
              + socket
              + " ("
              + cause.getMessage()
              + "): is it running? Start it with `hearth daemon` or `systemctl start hearth`, or"
              + " point --socket at its socket",
          cause);
    }

    @Override
    public RuntimeException lost(IOException cause) {
      return new DaemonUnavailableException(
          socket,
          "lost the connection to the hearth daemon at " + socket + ": " + cause.getMessage(),
          cause);
    }

    @Override
    public RuntimeException closed() {
      return new DaemonUnavailableException(
          socket, "the hearth daemon at " + socket + " closed the connection", null);
    }

    @Override
    public RuntimeException malformed(String what) {
      return new HearthException(
          HearthException.Kind.PROTOCOL, "the hearth daemon at " + socket + " " + what);
    }

    @Override
    public RuntimeException error(int code, String message) {
      return new HearthException(
          ErrorKind.kindOf(code).orElse(HearthException.Kind.PROTOCOL), message, code);
    }

    @Override
    public RuntimeException closeFailed(IOException cause) {
      return new DaemonException(
          "closing the connection to " + socket + " failed: " + cause, cause);
    }
  }
}
