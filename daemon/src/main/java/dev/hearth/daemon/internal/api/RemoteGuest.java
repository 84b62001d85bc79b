package dev.hearth.daemon.internal.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.Pty;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.session.ArchiveLimits;
import dev.hearth.session.GuestArchiveException;
import dev.hearth.session.GuestTarExtractor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * The streaming part of {@link dev.hearth.daemon.Vms} over the socket: {@code vm.exec}, {@code
 * vm.shell}, {@code vm.copy} and {@code vm.logs} with follow, each on a connection of its own (a
 * stream holds its connection until it ends).
 */
final class RemoteGuest {
  private static final int COPY_BUFFER_BYTES = 64 * 1024;

  private final Path socket;

  RemoteGuest(Path socket) {
    this.socket = socket;
  }

  GuestProcess start(String vm, ExecSpec spec, OutputSink out) {
    return open("vm.exec", ApiJson.execSpec(vm, spec), out);
  }

  GuestProcess shell(String vm, Pty pty, OutputSink out) {
    ObjectNode params = Wire.object().put("vm", vm);
    ApiJson.putPty(params, pty);
    return open("vm.shell", params, out);
  }

  private GuestProcess open(String method, ObjectNode params, OutputSink out) {
    HearthClient own = HearthClient.connect(socket);
    try {
      RpcClient.Stream stream = own.openStream(method, params.toString(), out::output);
      return new RemoteProcess(own, stream, method);
    } catch (RuntimeException e) {
      own.close();
      throw e;
    }
  }

  void followLogs(String vm, OptionalLong tail, Consumer<byte[]> data) {
    ObjectNode params = Wire.object().put("vm", vm);
    tail.ifPresent(t -> params.put("tail", t));
    params.put("follow", true);
    try (HearthClient own = HearthClient.connect(socket)) {
      JsonNode last =
          RemoteHearth.call(
              own,
              "vm.logs",
              params,
              (method, note) -> {
                if (method.equals("vm.logs.data")) {
                  data.accept(ApiJson.data("vm.logs", RemoteHearth.parse(note)));
                }
              });
      data.accept(ApiJson.data("vm.logs", last));
    }
  }

  long copyIn(String vm, String path, String name, InputStream tar) throws InterruptedException {
    ObjectNode params =
        Wire.object()
            .put("vm", vm)
            .put("direction", "to_guest")
            .put("path", path)
            .put("name", name);
    try (HearthClient own = HearthClient.connect(socket)) {
      RpcClient.Stream stream = own.openStream("vm.copy", params.toString(), (fd, b) -> {});
      Thread feeder = new Thread(() -> feed(tar, stream), "hearth-copy-in");
      feeder.setDaemon(true);
      feeder.start();
      JsonNode result = RemoteHearth.parse(stream.awaitResult());
      feeder.join();
      return bytes(result);
    }
  }

  private static void feed(InputStream tar, RpcClient.Stream stream) {
    byte[] buffer = new byte[COPY_BUFFER_BYTES];
    try (tar) {
      int n;
      while ((n = tar.read(buffer)) >= 0) {
        stream.write(buffer, 0, n);
      }
      stream.closeInput();
    } catch (IOException | RuntimeException e) {
      // A broken tar reaches the guest as a truncated archive, whose tar says so in the answer;
      // a lost connection is the answer's own failure.
    }
  }

  long copyOut(String vm, String path, OutputStream tar) {
    ObjectNode params =
        Wire.object().put("vm", vm).put("direction", "from_guest").put("path", path);
    try (HearthClient own = HearthClient.connect(socket)) {
      RpcClient.Stream stream =
          own.openStream(
              "vm.copy",
              params.toString(),
              (fd, data) -> {
                if (fd == 1) {
                  try {
                    tar.write(data);
                  } catch (IOException e) {
                    throw new UncheckedIOException("writing the copy failed: " + e.getMessage(), e);
                  }
                }
              });
      stream.closeInput();
      return bytes(RemoteHearth.parse(stream.awaitResult()));
    }
  }

  /**
   * The guest's {@code path} to the host's {@code destination}, unpacked here (in the client, as
   * its user) by session's {@code GuestTarExtractor} as the archive streams in.
   */
  CopiedOut copyOut(String vm, String path, Path destination, CopyLimits limits)
      throws InterruptedException {
    String name = CopiesOut.entryName(path);
    ObjectNode params =
        Wire.object().put("vm", vm).put("direction", "from_guest").put("path", path);
    try (GuestTarExtractor.Receiver receiver =
            receive(destination, name, CopiesOut.limits(limits));
        HearthClient own = HearthClient.connect(socket)) {
      RpcClient.Stream stream =
          own.openStream(
              "vm.copy",
              params.toString(),
              (fd, data) -> {
                if (fd == 1) {
                  try {
                    receiver.archive().write(data);
                  } catch (IOException e) {
                    throw receiver
                        .failure()
                        .map(CopiesOut::failure)
                        .orElseGet(
                            () ->
                                HearthException.hostError(
                                    "unpacking the copy failed: " + e.getMessage()));
                  }
                }
              });
      stream.closeInput();
      RemoteHearth.parse(stream.awaitResult());
      try {
        return CopiesOut.result(receiver.finish());
      } catch (GuestArchiveException e) {
        throw CopiesOut.failure(e);
      }
    }
  }

  private static GuestTarExtractor.Receiver receive(
      Path destination, String name, ArchiveLimits limits) {
    try {
      return GuestTarExtractor.receive(destination, name, limits);
    } catch (GuestArchiveException e) {
      throw CopiesOut.failure(e);
    }
  }

  private static long bytes(JsonNode result) {
    JsonNode bytes = result.get("bytes");
    if (bytes == null || !bytes.canConvertToLong()) {
      throw new HearthException(
          HearthException.Kind.PROTOCOL,
          "vm.copy answered without a size: " + Wire.abbreviate(result));
    }
    return bytes.longValue();
  }

  /** A {@code vm.exec} or {@code vm.shell} stream on its own connection. */
  private static final class RemoteProcess implements GuestProcess {
    private final HearthClient client;
    private final RpcClient.Stream stream;
    private final String method;

    RemoteProcess(HearthClient client, RpcClient.Stream stream, String method) {
      this.client = client;
      this.stream = stream;
      this.method = method;
    }

    @Override
    public void write(byte[] data, int offset, int length) {
      stream.write(data, offset, length);
    }

    @Override
    public void closeInput() {
      stream.closeInput();
    }

    @Override
    public void resize(int cols, int rows) {
      stream.resize(cols, rows);
    }

    @Override
    public int awaitExit() {
      JsonNode result = RemoteHearth.parse(stream.awaitResult());
      JsonNode code = result.get("exit_code");
      if (code == null || !code.isInt()) {
        throw new HearthException(
            HearthException.Kind.PROTOCOL,
            method + " answered without an exit code: " + Wire.abbreviate(result));
      }
      return code.intValue();
    }

    @Override
    public void close() {
      try {
        stream.close();
      } finally {
        client.close();
      }
    }
  }
}
