package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The daemon's VM DNS follows its VMs: a created VM's name resolves on the host listener, stopped
 * included and across a daemon restart, and a deleted VM's does not.
 */
class VmDnsDaemonTest {
  @TempDir Path dir;
  private VmFixture fx;
  private InetSocketAddress dns;

  @AfterEach
  void tearDown() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  @Test
  void aVmNameResolvesFromCreateToDelete() throws Exception {
    int port;
    try (DatagramSocket free = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    dns = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    Config config = VmFixture.config(dir).with(ConfigKey.DNS_HOST_LISTEN, "127.0.0.1:" + port);
    fx = new VmFixture(dir, config).start();

    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    String ip = fx.call("vm.show", "{\"vm\": \"demo\"}").path("ip").asText();

    assertThat(addresses("demo.hearth.internal.")).containsExactly(ip);

    JsonNode stopped = fx.call("vm.stop", "{\"vm\": \"demo\", \"timeout_seconds\": 4}");
    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(addresses("demo.hearth.internal.")).as("a stopped VM").containsExactly(ip);

    fx.stopDaemon();
    fx.start();
    assertThat(addresses("DEMO.hearth.internal.")).as("after a daemon restart").containsExactly(ip);

    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");

    assertThat(ask("demo.hearth.internal.").getRcode()).isEqualTo(Rcode.NXDOMAIN);

    fx.createAndWait("later", "\"no_start\": true");
    String laterIp = fx.call("vm.show", "{\"vm\": \"later\"}").path("ip").asText();
    assertThat(addresses("later.hearth.internal."))
        .as("a VM created without starting")
        .containsExactly(laterIp);
  }

  private List<String> addresses(String name) throws Exception {
    Message reply = ask(name);
    assertThat(reply.getRcode()).as("rcode for %s", name).isEqualTo(Rcode.NOERROR);
    return reply.getSection(Section.ANSWER).stream()
        .map(r -> ((ARecord) r).getAddress().getHostAddress())
        .toList();
  }

  private Message ask(String name) throws Exception {
    Message query = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
    byte[] wire = query.toWire();
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(10_000);
      socket.send(new DatagramPacket(wire, wire.length, dns));
      byte[] buffer = new byte[4096];
      DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
      socket.receive(reply);
      return new Message(Arrays.copyOf(buffer, reply.getLength()));
    }
  }
}
