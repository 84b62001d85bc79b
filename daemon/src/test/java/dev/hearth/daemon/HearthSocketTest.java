package dev.hearth.daemon;

/** The contract over the socket: {@link Hearth#connect} to a daemon serving the fixture. */
class HearthSocketTest extends HearthContract {
  @Override
  Hearth open(VmFixture fixture) {
    fixture.start();
    return Hearth.connect(fixture.layout.socket());
  }
}
