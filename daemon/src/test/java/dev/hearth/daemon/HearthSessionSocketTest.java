package dev.hearth.daemon;

/** The session contract over the socket. */
class HearthSessionSocketTest extends HearthSessionContract {
  @Override
  Hearth open(VmFixture fixture) {
    fixture.start(seams(fixture));
    return Hearth.connect(fixture.layout.socket());
  }
}
