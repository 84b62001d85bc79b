package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.FakeRunner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TapDevicesTest {
  private static final List<String> ADD =
      List.of("ip", "tuntap", "add", "dev", "htap3", "mode", "tap");
  private static final List<String> MASTER =
      List.of("ip", "link", "set", "htap3", "master", "hearth0");
  private static final List<String> UP = List.of("ip", "link", "set", "htap3", "up");
  private static final List<String> DEL = List.of("ip", "link", "del", "htap3");
  private static final List<List<String>> CREATE_STEPS = List.of(ADD, MASTER, UP);

  private final FakeRunner runner = new FakeRunner();
  private final TapDevices taps = new TapDevices(runner);

  @Test
  void namesArePrefixAndNumberWithinFifteenCharacters() {
    assertThat(taps.name(0)).isEqualTo("htap0");
    assertThat(taps.name(42)).isEqualTo("htap42");
    assertThat(new TapDevices(runner, "abcdefghij").name(99999)).isEqualTo("abcdefghij99999");
    assertThatThrownBy(() -> new TapDevices(runner, "abcdefghij").name(100000))
        .hasMessageContaining("longer than 15");
    assertThatThrownBy(() -> taps.name(-1)).hasMessageContaining("-1");
  }

  @Test
  void refusesPrefixesThatCouldBeConfusedOrTooLong() {
    for (String bad : new String[] {"", "ht1", "Htap", "abcdefghijk", "1tap", "ta p"}) {
      assertThatThrownBy(() -> new TapDevices(runner, bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void oursIsThePrefixFollowedByANumberOnly() {
    assertThat(taps.isOurs("htap0")).isTrue();
    assertThat(taps.isOurs("htap17")).isTrue();
    assertThat(taps.isOurs("htap")).isFalse();
    assertThat(taps.isOurs("htap01")).isFalse();
    assertThat(taps.isOurs("htapx1")).isFalse();
    assertThat(taps.isOurs("xhtap1")).isFalse();
    assertThat(taps.isOurs("tap0")).isFalse();
  }

  @Test
  void createAddsAttachesAndBringsUp() throws Exception {
    taps.create("htap3", "hearth0");
    assertThat(runner.argvs()).containsExactly(ADD, MASTER, UP);
  }

  @Test
  void attachSetsTheMasterAndUpAndKeepsTheTapOnFailure() throws Exception {
    taps.attach("htap3", "hearth0");
    assertThat(runner.argvs()).containsExactly(MASTER, UP);

    runner.on(MASTER, 2, "", "Error: Device does not exist\n");
    assertThatThrownBy(() -> taps.attach("htap3", "hearth0"))
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("could not attach TAP htap3 to bridge hearth0");
    assertThat(runner.argvs()).doesNotContain(DEL);
    assertThatThrownBy(() -> taps.attach("eth0", "hearth0"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "step {0} fails")
  @ValueSource(ints = {0, 1, 2})
  void aFailingStepRemovesTheHalfMadeTap(int failing) {
    runner.on(CREATE_STEPS.get(failing), 2, "", "RTNETLINK answers: Device or resource busy\n");
    assertThatThrownBy(() -> taps.create("htap3", "hearth0"))
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("htap3")
        .hasMessageContaining("Device or resource busy");
    List<List<String>> expected = new ArrayList<>(CREATE_STEPS.subList(0, failing + 1));
    if (failing > 0) {
      expected.add(DEL);
    }
    assertThat(runner.argvs()).containsExactlyElementsOf(expected);
  }

  @Test
  void aFailedCleanupIsRecordedOnTheOriginalFailure() {
    runner.on(MASTER, 2, "", "Error: Device does not exist... of master\n");
    runner.on(DEL, 2, "", "RTNETLINK answers: Operation not permitted\n");
    assertThatThrownBy(() -> taps.create("htap3", "hearth0"))
        .hasMessageContaining("could not attach TAP htap3 to bridge hearth0")
        .satisfies(
            e ->
                assertThat(e.getSuppressed())
                    .singleElement()
                    .satisfies(
                        s ->
                            assertThat(s)
                                .hasMessageContaining("could not remove htap3 after a failure")));
  }

  @Test
  void createRefusesNamesThatAreNotOurs() {
    assertThatThrownBy(() -> taps.create("eth0", "hearth0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'eth0'");
    assertThat(runner.argvs()).isEmpty();
  }

  @Test
  void deleteToleratesAMissingDeviceButNotOtherFailures() throws Exception {
    taps.delete("htap3");
    runner.on(DEL, 1, "", "Cannot find device \"htap3\"\n");
    taps.delete("htap3");
    assertThat(runner.argvs()).containsExactly(DEL, DEL);
    runner.on(DEL, 2, "", "RTNETLINK answers: Operation not permitted\n");
    assertThatThrownBy(() -> taps.delete("htap3"))
        .isInstanceOf(HostNetworkException.class)
        .hasMessageContaining("could not delete TAP htap3");
  }

  @Test
  void listKeepsOnlyOurNames() throws Exception {
    runner.on(
        List.of("ip", "-j", "link", "show"),
        0,
        """
        [{"ifindex":1,"ifname":"lo"},{"ifindex":2,"ifname":"eth0"},
         {"ifindex":3,"ifname":"hearth0"},{"ifindex":4,"ifname":"htap0","master":"hearth0"},
         {"ifindex":5,"ifname":"htap12"},{"ifindex":6,"ifname":"htapx"},
         {"ifindex":7,"ifname":"tap0"},{"ifindex":8,"ifname":"htap"}]
        """,
        "");
    assertThat(taps.list()).containsExactly("htap0", "htap12");
    assertThat(runner.argvs()).containsExactly(List.of("ip", "-j", "link", "show"));
  }
}
