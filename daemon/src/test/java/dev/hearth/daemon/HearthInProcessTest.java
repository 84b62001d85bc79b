package dev.hearth.daemon;

/** The contract in-process: {@link Daemon#openInProcess}, what {@link Hearth#open} returns. */
class HearthInProcessTest extends HearthContract {
  @Override
  Hearth open(VmFixture fixture) {
    return Daemon.openInProcess(fixture.config, fixture.seams());
  }
}
