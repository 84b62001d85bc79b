package dev.hearth.daemon;

/** What {@code daemon.version} reports. */
public record VersionInfo(String version, int protocolVersion, String javaVersion, long pid) {}
