package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.CommandException;
import dev.hearth.core.testing.FakeRunner;
import java.util.List;
import org.junit.jupiter.api.Test;

class BridgeTest {
  private static final List<String> SHOW = List.of("ip", "-j", "-d", "link", "show", "dev", "hbr0");
  private static final List<String> ADD =
      List.of("ip", "link", "add", "name", "hbr0", "type", "bridge");
  private static final List<String> ADDR =
      List.of("ip", "addr", "replace", "10.77.0.1/24", "dev", "hbr0");
  private static final List<String> UP = List.of("ip", "link", "set", "hbr0", "up");
  private static final List<String> DEL = List.of("ip", "link", "del", "hbr0");

  private static final String BRIDGE_LINK =
      """
      [{"ifindex":5,"ifname":"hbr0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],
        "mtu":1500,"operstate":"DOWN","address":"6e:bf:5a:a2:ec:09",
        "linkinfo":{"info_kind":"bridge","info_data":{"stp_state":0}}}]
      """;

  private final FakeRunner runner = new FakeRunner();
  private final Bridge bridge = new Bridge(runner, "hbr0", Ipv4Cidr.parse("10.77.0.1/24"));

  private FakeRunner missing(List<String> prefix) {
    return runner.on(prefix, 1, "", "Device \"hbr0\" does not exist.\n");
  }

  @Test
  void createsAMissingBridgeThenAddressesItAndBringsItUp() throws Exception {
    missing(SHOW);
    assertThat(bridge.ensure()).isEqualTo(Bridge.Ensured.CREATED);
    assertThat(runner.argvs()).containsExactly(SHOW, ADD, ADDR, UP);
  }

  @Test
  void adoptsAnExistingBridgeWithoutCreatingIt() throws Exception {
    runner.on(SHOW, 0, BRIDGE_LINK, "");
    assertThat(bridge.ensure()).isEqualTo(Bridge.Ensured.ADOPTED);
    assertThat(runner.argvs()).containsExactly(SHOW, ADDR, UP);
  }

  @Test
  void refusesToAdoptADeviceThatIsNotABridge() {
    runner.on(
        SHOW,
        0,
        "[{\"ifname\":\"hbr0\",\"flags\":[\"UP\"],\"linkinfo\":{\"info_kind\":\"tun\"}}]",
        "");
    assertThatThrownBy(bridge::ensure)
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("hbr0 exists but is a tun device, not a bridge");
    assertThat(runner.argvs()).containsExactly(SHOW);
  }

  @Test
  void removesABridgeItCreatedWhenALaterStepFails() {
    missing(SHOW);
    runner.on(ADDR, 2, "", "Error: any valid prefix is expected rather than \"x\".\n");
    assertThatThrownBy(bridge::ensure)
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("could not set address 10.77.0.1/24 on bridge hbr0")
        .hasMessageContaining("exit code 2")
        .hasCauseInstanceOf(CommandException.class);
    assertThat(runner.argvs()).containsExactly(SHOW, ADD, ADDR, DEL);
  }

  @Test
  void leavesAnAdoptedBridgeInPlaceWhenBringingItUpFails() {
    runner.on(SHOW, 0, BRIDGE_LINK, "");
    runner.on(UP, 2, "", "RTNETLINK answers: Operation not permitted\n");
    assertThatThrownBy(bridge::ensure)
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("could not bring bridge hbr0 up")
        .hasMessageContaining("Operation not permitted");
    assertThat(runner.argvs()).containsExactly(SHOW, ADDR, UP);
  }

  @Test
  void aFailureToInspectIsNotTakenForAMissingBridge() {
    runner.on(SHOW, 255, "", "Cannot open netlink socket: Permission denied\n");
    assertThatThrownBy(bridge::ensure)
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("could not inspect network device hbr0")
        .hasMessageContaining("Permission denied");
    assertThat(runner.argvs()).containsExactly(SHOW);
  }

  @Test
  void inspectReadsKindStateMacMtuAndIpv4Addresses() throws Exception {
    runner.on(SHOW, 0, BRIDGE_LINK, "");
    runner.on(
        List.of("ip", "-j", "addr", "show", "dev", "hbr0"),
        0,
        """
        [{"ifindex":5,"ifname":"hbr0","flags":["UP"],"addr_info":[
          {"family":"inet","local":"10.77.0.1","prefixlen":24,"scope":"global"},
          {"family":"inet","local":"10.78.0.1","prefixlen":16,"scope":"global"},
          {"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"}]}]
        """,
        "");
    BridgeInfo info = bridge.inspect().orElseThrow();
    assertThat(info)
        .isEqualTo(
            new BridgeInfo(
                "hbr0",
                "bridge",
                true,
                1500,
                "6e:bf:5a:a2:ec:09",
                List.of(Ipv4Cidr.parse("10.77.0.1/24"), Ipv4Cidr.parse("10.78.0.1/16"))));
    assertThat(info.isBridge()).isTrue();
  }

  @Test
  void inspectOfAMissingBridgeIsEmpty() throws Exception {
    missing(SHOW);
    assertThat(bridge.inspect()).isEmpty();
    assertThat(runner.argvs()).containsExactly(SHOW);
  }

  @Test
  void inspectReportsADownDevice() throws Exception {
    runner.on(SHOW, 0, "[{\"ifname\":\"hbr0\",\"flags\":[\"BROADCAST\"],\"mtu\":1400}]", "");
    runner.on(List.of("ip", "-j", "addr"), 0, "[{\"ifname\":\"hbr0\",\"addr_info\":[]}]", "");
    BridgeInfo info = bridge.inspect().orElseThrow();
    assertThat(info.up()).isFalse();
    assertThat(info.kind()).isEmpty();
    assertThat(info.isBridge()).isFalse();
    assertThat(info.addresses()).isEmpty();
  }

  @Test
  void removeDeletesTheDeviceAndToleratesItBeingGone() throws Exception {
    bridge.remove();
    runner.on(DEL, 1, "", "Cannot find device \"hbr0\"\n");
    bridge.remove();
    assertThat(runner.argvs()).containsExactly(DEL, DEL);
  }

  @Test
  void removeReportsOtherFailures() {
    runner.on(DEL, 2, "", "RTNETLINK answers: Operation not permitted\n");
    assertThatThrownBy(bridge::remove)
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("could not delete bridge hbr0");
  }

  @Test
  void refusesNamesTheKernelWouldRefuse() {
    Ipv4Cidr cidr = Ipv4Cidr.parse("10.77.0.1/24");
    assertThatThrownBy(() -> new Bridge(runner, "a-very-long-bridge", cidr))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a-very-long-bridge'");
    assertThatThrownBy(() -> new Bridge(runner, "br 0", cidr)).hasMessageContaining("'br 0'");
    assertThatThrownBy(() -> new Bridge(runner, "-br", cidr)).hasMessageContaining("'-br'");
  }

  @Test
  void unparseableJsonIsAHostErrorNamingTheCommand() {
    runner.on(SHOW, 0, "not json", "");
    assertThatThrownBy(bridge::inspect)
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("`ip -j -d link show dev hbr0` printed output that is not JSON");
  }
}
