/**
 * JSON-RPC 2.0 over a Unix stream socket, the mechanism without a server's methods or policy
 * (ARCHITECTURE.md, "RPC protocol"): the wire format ({@link dev.hearth.core.rpc.Wire}: one UTF-8
 * JSON object per {@code '\n'}-terminated line of at most 1 MiB, read by the bounded {@link
 * dev.hearth.core.rpc.LineReader}), the envelope checks and replies ({@link
 * dev.hearth.core.rpc.JsonRpcProtocol}, {@link dev.hearth.core.rpc.ProtocolError}, {@link
 * dev.hearth.core.rpc.RpcError}), notifications and byte streams in both directions ({@link
 * dev.hearth.core.rpc.NotificationSink}, {@link dev.hearth.core.rpc.RequestStream}), the server
 * ({@link dev.hearth.core.rpc.RpcServer}: accept loop, connection bound, an event loop answering
 * the requests that answer at once, then a reading thread and a request thread per connection), the
 * peer's credentials and the seam deciding who is served ({@link
 * dev.hearth.core.rpc.PeerAuthorizer}, {@link dev.hearth.core.rpc.SupplementaryGroups}), and the
 * client ({@link dev.hearth.core.rpc.RpcClient}: requests, notifications, streams both ways and
 * files passed with a request on one connection, its failures as the caller's own exceptions; its
 * reading of a line, {@link dev.hearth.core.rpc.Reply}).
 *
 * <p>A server supplies its methods as a {@link dev.hearth.core.rpc.RequestHandler} and its
 * authorization as a {@link dev.hearth.core.rpc.PeerAuthorizer}. The public signatures here use
 * Jackson's JSON trees ({@code JsonNode}, {@code ObjectNode}), the messages' own type.
 */
package dev.hearth.core.rpc;
