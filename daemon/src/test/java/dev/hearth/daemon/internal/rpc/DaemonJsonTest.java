package dev.hearth.daemon.internal.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.rpc.Reply;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VersionInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading the {@code daemon.*} results as the client does. */
class DaemonJsonTest {
  private static Reply parse(String line) throws IOException {
    return Reply.parse(line.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theVersionIsReadWithoutATree() throws IOException {
    Reply reply =
        parse(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"vmm\":{\"kind\":\"qemu\","
                + "\"path\":\"/opt/hearth/bin/hearth-qemu-firecracker\",\"reason\":\"no kvm\","
                + "\"more\":{\"a\":[1]}},"
                + "\"version\":\"1.2\",\"protocol_version\":1,\"java_version\":\"17.0.15\","
                + "\"pid\":42,\"extra\":[1]}}");
    assertThat(reply.result(DaemonJson::versionInfo))
        .isEqualTo(
            new VersionInfo(
                "1.2",
                1,
                "17.0.15",
                42,
                Optional.of(
                    new VersionInfo.Vmm(
                        "qemu",
                        Optional.of("/opt/hearth/bin/hearth-qemu-firecracker"),
                        "no kvm"))));

    assertThat(
            parse("{\"id\":1,\"result\":{\"protocol_version\":2}}").result(DaemonJson::versionInfo))
        .isEqualTo(new VersionInfo("", 2, "", -1, Optional.empty()));
    assertThat(
            parse(
                    "{\"id\":1,\"result\":{\"protocol_version\":1,"
                        + "\"vmm\":{\"kind\":\"none\",\"path\":null}}}")
                .result(DaemonJson::versionInfo)
                .vmm())
        .contains(new VersionInfo.Vmm("none", Optional.empty(), ""));
    for (String result :
        new String[] {"{}", "{\"protocol_version\":\"1\"}", "{\"protocol_version\":1.5}", "[1]"}) {
      Reply malformed = parse("{\"id\":1,\"result\":" + result + "}");
      assertThatThrownBy(() -> malformed.result(DaemonJson::versionInfo))
          .as(result)
          .isInstanceOfSatisfying(
              HearthException.class,
              e -> assertThat(e.kind()).isEqualTo(HearthException.Kind.PROTOCOL))
          .hasMessage("the daemon answered daemon.version with an unexpected result: " + result);
    }
  }
}
