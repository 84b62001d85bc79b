/**
 * Guest access over SSH and guest sessions.
 *
 * <p>SSH: {@link dev.hearth.session.GuestExec} runs commands and login shells in guests through
 * {@link dev.hearth.session.MinaGuestDialer} (one MINA client, key auth as root with {@link
 * dev.hearth.session.SshKeyPair}); {@link dev.hearth.session.MinaSshWaiter} and {@link
 * dev.hearth.session.MinaGuestPowerOff} implement the boot wait and stop seams; {@link
 * dev.hearth.session.GuestCopy} holds the tar scripts of a copy. Sessions: guest paths, POSIX sh
 * scripts, parsers.
 */
package dev.hearth.session;
