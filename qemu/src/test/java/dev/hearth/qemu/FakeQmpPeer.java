package dev.hearth.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * QEMU's side of QMP on a connected socket: the greeting, then a scripted answer per command (by
 * default an empty return; {@code query-status} says running), an event before each answer. A
 * command is recorded by name, followed by the keys of a {@code send-key}.
 */
final class FakeQmpPeer {
  private static final ObjectMapper JSON = new ObjectMapper();

  final List<String> commands = new CopyOnWriteArrayList<>();
  final Map<String, String> answers;

  FakeQmpPeer(Map<String, String> answers) {
    this.answers = answers;
  }

  /** Connects to {@code path} as QEMU does with {@code server=off}, and serves on a thread. */
  Thread connectAndServe(Path path) throws IOException {
    AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path));
    return serveOn(socket);
  }

  Thread serveOn(Socket socket) {
    Thread t =
        new Thread(
            () -> {
              try (socket) {
                serve(socket);
              } catch (IOException e) {
                // The client went away.
              }
            },
            "fake-qmp");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void serve(Socket socket) throws IOException {
    OutputStream out = socket.getOutputStream();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    send(out, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": [\"oob\"]}}");
    String line;
    while ((line = in.readLine()) != null) {
      JsonNode request = JSON.readTree(line);
      String command = request.path("execute").asText();
      StringBuilder recorded = new StringBuilder(command);
      request
          .path("arguments")
          .path("keys")
          .forEach(k -> recorded.append(' ').append(k.path("data").asText()));
      commands.add(recorded.toString());
      send(out, "{\"event\": \"SOMETHING\", \"data\": {}}");
      String answer =
          answers.getOrDefault(
              command,
              command.equals("query-status")
                  ? "{\"return\": {\"status\": \"running\", \"running\": true}}"
                  : "{\"return\": {}}");
      send(out, answer);
    }
  }

  private static void send(OutputStream out, String line) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
