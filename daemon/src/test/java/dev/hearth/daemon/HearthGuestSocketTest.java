package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The streaming contract over the socket, and the raw escape hatch only the socket's hearth has.
 */
class HearthGuestSocketTest extends HearthGuestContract {
  @Override
  Hearth open(VmFixture fixture) {
    fixture.start(seams(fixture));
    return Hearth.connect(fixture.layout.socket());
  }

  @Test
  void rawCallsAnswerTheDaemonsJson() {
    RawRpc raw = (RawRpc) hearth;
    assertThat(raw.call("daemon.ping", Optional.empty())).isEqualTo("{\"pong\":true}");
    assertThat(raw.call("vm.list", Optional.of("{}"))).isEqualTo("{\"vms\":[]}");
    assertKind(
        catchThrowable(() -> raw.call("vm.show", Optional.of("{\"vm\":\"nope\"}"))),
        HearthException.Kind.NOT_FOUND,
        "no VM named 'nope'");
    assertKind(
        catchThrowable(() -> raw.call("no.such", Optional.empty())),
        HearthException.Kind.PROTOCOL,
        "no.such");
    assertKind(
        catchThrowable(() -> raw.call("vm.list", Optional.of("{"))),
        HearthException.Kind.INVALID,
        "not valid JSON");
  }
}
