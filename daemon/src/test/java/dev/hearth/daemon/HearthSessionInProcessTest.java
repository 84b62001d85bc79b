package dev.hearth.daemon;

/** The session contract in-process. */
class HearthSessionInProcessTest extends HearthSessionContract {
  @Override
  Hearth open(VmFixture fixture) {
    return Daemon.openInProcess(fixture.config, seams(fixture));
  }
}
