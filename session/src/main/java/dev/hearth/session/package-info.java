/**
 * Guest access over SSH and guest sessions.
 *
 * <p>SSH: {@link dev.hearth.session.GuestExec} runs commands and login shells in guests through
 * {@link dev.hearth.session.MinaGuestDialer} (one MINA client, key auth as root with {@link
 * dev.hearth.session.SshKeyPair}); {@link dev.hearth.session.MinaSshWaiter} and {@link
 * dev.hearth.session.MinaGuestPowerOff} implement the boot wait and stop seams; {@link
 * dev.hearth.session.GuestCopy} copies a file or folder in or out of a guest as a tar of one entry.
 *
 * <p>Sessions: {@link dev.hearth.session.GuestSessions} runs every session operation on a {@link
 * dev.hearth.session.SessionGuest} through {@link dev.hearth.session.GuestScripts} (over SSH, or a
 * local shell in tests): the POSIX sh scripts of {@link dev.hearth.session.SessionScripts}, their
 * output parsed by {@link dev.hearth.session.SessionListing}, refusals turned into messages by
 * {@link dev.hearth.session.FormatStepError}. Which VM, and whether it runs, is the caller's
 * business.
 */
package dev.hearth.session;
