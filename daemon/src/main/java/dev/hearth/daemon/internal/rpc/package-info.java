/**
 * The daemon's RPC policy on core's transport ({@code dev.hearth.core.rpc}, ARCHITECTURE.md, "RPC
 * protocol"): which methods exist ({@link dev.hearth.daemon.internal.rpc.Dispatcher}, the
 * transport's {@code RequestHandler}, and the {@code *Methods} tables of the adapters), a request's
 * typed params ({@link dev.hearth.daemon.internal.rpc.Params}), the one mapping of the typed API's
 * kinds to JSON-RPC codes ({@link dev.hearth.daemon.internal.rpc.ErrorKind}), the JSON shapes of
 * the API's records and the {@code daemon.*} results ({@link
 * dev.hearth.daemon.internal.rpc.ApiJson}, {@link dev.hearth.daemon.internal.rpc.DaemonJson}), and
 * who may use the socket ({@link dev.hearth.daemon.internal.rpc.SocketGroupAuthorizer}, the
 * transport's {@code PeerAuthorizer}).
 */
package dev.hearth.daemon.internal.rpc;
