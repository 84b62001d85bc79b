package dev.hearth.core.rpc;

/** Who is on the other end of a Unix socket connection, as the kernel reports it. */
public record PeerCredentials(long uid, long gid, long pid) {}
