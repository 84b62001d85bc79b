package dev.hearth.daemon;

/** The streaming contract in-process. */
class HearthGuestInProcessTest extends HearthGuestContract {
  @Override
  Hearth open(VmFixture fixture) {
    return Daemon.openInProcess(fixture.config, seams(fixture));
  }
}
