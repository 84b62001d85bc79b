package dev.hearth.daemon.internal.rpc;

import dev.hearth.core.rpc.PeerAuthorizer;
import dev.hearth.core.rpc.PeerCredentials;
import dev.hearth.core.rpc.SupplementaryGroups;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the socket (ARCHITECTURE.md, "RPC protocol"): root, the daemon's own user and members
 * of the socket group are served. Membership is the peer's primary group or one of its process's
 * supplementary groups.
 */
public final class SocketGroupAuthorizer implements PeerAuthorizer {
  private static final Logger log = LoggerFactory.getLogger(SocketGroupAuthorizer.class);

  private final long daemonUid;
  private final Optional<String> groupName;
  private final OptionalLong groupId;
  private final SupplementaryGroups supplementaryGroups;

  /**
   * @param daemonUid the daemon's effective uid
   * @param groupName the configured socket group, empty when none is configured
   * @param groupId that group's id, empty when no such group exists
   */
  public SocketGroupAuthorizer(
      long daemonUid,
      Optional<String> groupName,
      OptionalLong groupId,
      SupplementaryGroups supplementaryGroups) {
    this.daemonUid = daemonUid;
    this.groupName = groupName;
    this.groupId = groupId;
    this.supplementaryGroups = supplementaryGroups;
  }

  @Override
  public Optional<String> refusal(PeerCredentials peer) {
    if (peer.uid() == 0 || peer.uid() == daemonUid || isGroupMember(peer)) {
      return Optional.empty();
    }
    String who = "uid " + peer.uid() + " may not use this hearth daemon";
    if (groupName.isEmpty()) {
      return Optional.of(
          who
              + ": it serves only root and uid "
              + daemonUid
              + "; set socket_group in the daemon's"
              + " config to a group and add the user to it");
    }
    String group = groupName.get();
    if (groupId.isEmpty()) {
      return Optional.of(
          who
              + ": the socket group '"
              + group
              + "' does not exist; create it (groupadd "
              + group
              + "), add the user to it, and restart the daemon");
    }
    return Optional.of(
        who
            + ": add the user to group '"
            + group
            + "' (usermod -aG "
            + group
            + " <user>) and log"
            + " in again");
  }

  private boolean isGroupMember(PeerCredentials peer) {
    if (groupId.isEmpty()) {
      return false;
    }
    long gid = groupId.getAsLong();
    if (peer.gid() == gid) {
      return true;
    }
    try {
      return supplementaryGroups.of(peer.pid()).contains(gid);
    } catch (IOException | RuntimeException e) {
      log.warn(
          "cannot read the groups of peer pid {} (uid {}): {}",
          peer.pid(),
          peer.uid(),
          e.toString());
      return false;
    }
  }
}
