package dev.hearth.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.testing.Await;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

class QmpClientTest {
  @TempDir Path dir;

  private QmpClient connect(FakeQmpPeer peer) throws Exception {
    Path path = dir.resolve("qmp.sock");
    try (AFUNIXServerSocket server = AFUNIXServerSocket.newInstance()) {
      server.bind(AFUNIXSocketAddress.of(path));
      // The peer has connected by now; the timeout only bounds a broken test.
      server.setSoTimeout((int) Await.DEFAULT.toMillis());
      peer.connectAndServe(path);
      return new QmpClient(server.accept(), 5000);
    }
  }

  @Test
  void negotiatesCapabilitiesThenRunsCommandsSkippingEvents() throws Exception {
    FakeQmpPeer peer = new FakeQmpPeer(Map.of());
    try (QmpClient qmp = connect(peer)) {
      assertThat(qmp.execute("query-status").path("status").asText()).isEqualTo("running");
      assertThat(qmp.execute("system_powerdown").isEmpty()).isTrue();
      ObjectNode keys = new ObjectMapper().createObjectNode();
      keys.putArray("keys").addObject().put("type", "qcode").put("data", "ctrl");
      qmp.execute("send-key", keys);
    }
    assertThat(peer.commands)
        .containsExactly("qmp_capabilities", "query-status", "system_powerdown", "send-key ctrl");
  }

  @Test
  void anErrorAnswerNamesTheCommandAndQemusDescription() throws Exception {
    FakeQmpPeer peer =
        new FakeQmpPeer(
            Map.of(
                "cont",
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Resetting the Virtual"
                    + " Machine is required\"}}"));
    try (QmpClient qmp = connect(peer)) {
      assertThatThrownBy(() -> qmp.execute("cont"))
          .isInstanceOf(QmpClient.QmpException.class)
          .hasMessage("QMP cont failed: GenericError: Resetting the Virtual Machine is required");
    }
  }

  @Test
  void aClosedConnectionIsAnError() throws Exception {
    FakeQmpPeer peer = new FakeQmpPeer(Map.of("query-status", "not json"));
    try (QmpClient qmp = connect(peer)) {
      assertThatThrownBy(() -> qmp.execute("query-status"))
          .isInstanceOf(QmpClient.QmpException.class)
          .hasMessageContaining("not QMP: 'not json'");
    }
  }
}
