package dev.hearth.daemon.internal.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.rpc.PeerCredentials;
import dev.hearth.core.rpc.SupplementaryGroups;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SocketGroupAuthorizerTest {
  private static final long DAEMON_UID = 990;
  private static final long HEARTH_GID = 500;

  /** Supplementary groups by pid; any other pid has exited. */
  private static final SupplementaryGroups GROUPS =
      pid -> {
        Set<Long> groups = Map.of(111L, Set.of(20L, HEARTH_GID), 222L, Set.of(20L, 30L)).get(pid);
        if (groups == null) {
          throw new IOException("no such process " + pid);
        }
        return groups;
      };

  private final SocketGroupAuthorizer withGroup =
      new SocketGroupAuthorizer(
          DAEMON_UID, Optional.of("hearth"), OptionalLong.of(HEARTH_GID), GROUPS);

  @Test
  void servesRootAndTheDaemonsOwnUser() {
    assertThat(withGroup.refusal(new PeerCredentials(0, 0, 222))).isEmpty();
    assertThat(withGroup.refusal(new PeerCredentials(DAEMON_UID, 30, 222))).isEmpty();
  }

  @Test
  void servesMembersByPrimaryOrSupplementaryGroup() {
    assertThat(withGroup.refusal(new PeerCredentials(1000, HEARTH_GID, 222))).isEmpty();
    assertThat(withGroup.refusal(new PeerCredentials(1000, 20, 111))).isEmpty();
  }

  @Test
  void refusesOthersNamingTheUidAndTheGroup() {
    assertThat(withGroup.refusal(new PeerCredentials(1000, 20, 222)))
        .contains(
            "uid 1000 may not use this hearth daemon: add the user to group 'hearth'"
                + " (usermod -aG hearth <user>) and log in again");
  }

  @Test
  void refusesWhenTheGroupsOfThePeerCannotBeRead() {
    assertThat(withGroup.refusal(new PeerCredentials(1000, 20, 333))).isPresent();
  }

  @Test
  void withoutASocketGroupOnlyRootAndTheDaemonsUserAreServed() {
    SocketGroupAuthorizer noGroup =
        new SocketGroupAuthorizer(DAEMON_UID, Optional.empty(), OptionalLong.empty(), GROUPS);
    assertThat(noGroup.refusal(new PeerCredentials(0, 0, 111))).isEmpty();
    assertThat(noGroup.refusal(new PeerCredentials(1000, HEARTH_GID, 111)))
        .hasValueSatisfying(
            m -> assertThat(m).startsWith("uid 1000 may not use").contains("set socket_group"));
  }

  @Test
  void aSocketGroupThatDoesNotExistAdmitsNoMembers() {
    SocketGroupAuthorizer missingGroup =
        new SocketGroupAuthorizer(DAEMON_UID, Optional.of("hearth"), OptionalLong.empty(), GROUPS);
    assertThat(missingGroup.refusal(new PeerCredentials(1000, HEARTH_GID, 111)))
        .hasValueSatisfying(m -> assertThat(m).contains("'hearth' does not exist"));
  }
}
