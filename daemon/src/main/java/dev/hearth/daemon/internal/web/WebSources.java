package dev.hearth.daemon.internal.web;

import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.Images;
import dev.hearth.daemon.Ops;
import dev.hearth.daemon.Sessions;
import dev.hearth.daemon.Vms;
import dev.hearth.daemon.Workspaces;
import java.util.function.Supplier;

/**
 * What the web UI shows, read through the daemon's in-process typed API (the same objects its RPC
 * methods adapt), and the domain of the VMs' DNS names.
 */
public record WebSources(
    Vms vms,
    Ops ops,
    Images images,
    Sessions sessions,
    Workspaces workspaces,
    Supplier<DoctorReport> doctor,
    String dnsDomain) {}
