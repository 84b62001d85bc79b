/**
 * Firecracker processes: the launcher (spawn in a session of its own, console log capped, API
 * socket wait), the running process (graceful stop, then SIGKILL), and process identity (pid and
 * start time from {@code /proc}) for adopting processes of an earlier daemon run.
 */
package dev.hearth.fcproc.process;
