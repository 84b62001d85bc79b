package dev.hearth.fcproc.dns;

import java.util.Optional;
import org.xbill.DNS.Message;

/** Asks the upstream resolvers; {@link UpstreamForwarder} is the real one. */
interface Forwarder {
  /**
   * The upstream's answer to {@code query} (with the query's ID), or empty when none answered in
   * time. Returns within the forwarder's bounded time.
   *
   * @param tcp whether the client asked over TCP, so that a truncated answer is fetched whole
   */
  Optional<Message> forward(Message query, boolean tcp) throws InterruptedException;
}
