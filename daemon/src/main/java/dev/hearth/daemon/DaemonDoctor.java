package dev.hearth.daemon;

import dev.hearth.core.Cgroups;
import dev.hearth.core.Clock;
import dev.hearth.core.Config;
import dev.hearth.core.HostProbe;
import dev.hearth.core.LinuxHostProbe;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.StateChecks;
import dev.hearth.daemon.internal.doctor.Doctor;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.dmsnap.DiskChecks;
import dev.hearth.dmsnap.ReflinkProbe;
import dev.hearth.fcproc.VmmChecks;
import dev.hearth.fcproc.VmmSelector;
import dev.hearth.fcproc.dns.DnsChecks;
import dev.hearth.fcproc.dns.ResolvedLink;
import dev.hearth.fcproc.net.HostSockets;
import dev.hearth.fcproc.net.NetworkChecks;
import dev.hearth.imagemgr.ImageToolChecks;
import java.time.Duration;

/** The doctor over the host's real probes, as {@link Daemon#doctor(Config)} runs it. */
final class DaemonDoctor {
  /** How long the doctor waits for each DNS upstream's answer. */
  private static final Duration UPSTREAM_WAIT = Duration.ofSeconds(2);

  private DaemonDoctor() {}

  static DoctorReport run(Config config, VmmSelector vmm) {
    Posix posix = Posix.system();
    Runner runner = new ProcessRunner(posix, Clock.system());
    HostProbe probe = LinuxHostProbe.system();
    Doctor.Checks checks =
        new Doctor.Checks(
            new VmmChecks(config, runner, posix, probe, vmm),
            new NetworkChecks(config, runner, probe, HostSockets.procfs()),
            new DiskChecks(
                config, probe, new DeviceMapperProbe(runner), ReflinkProbe.cp(runner, probe)),
            new ImageToolChecks(probe),
            new StateChecks(config, posix, probe),
            Cgroups.system(posix, Clock.system()),
            new DnsChecks(
                config,
                probe,
                new ResolvedLink(runner, probe),
                DnsChecks.Asker.udp(UPSTREAM_WAIT)));
    try {
      return new Doctor(checks).check();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DaemonException("the doctor checks were interrupted", e);
    }
  }
}
