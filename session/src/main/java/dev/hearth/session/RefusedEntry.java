package dev.hearth.session;

/**
 * An entry of a guest's archive that was not written to the host.
 *
 * @param name the entry's name as the archive has it (unescaped: escape it before printing)
 * @param reason why, e.g. {@code "a device"} or {@code "a symbolic link out of the copy"}
 */
public record RefusedEntry(String name, String reason) {}
