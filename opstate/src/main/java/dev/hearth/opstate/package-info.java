/**
 * Registry of in-flight asynchronous operations: {@link dev.hearth.opstate.Registry} (with its
 * package-private parts: the runner, the persistence, the watches, the listing), {@link
 * dev.hearth.opstate.AsyncOp}, {@link dev.hearth.opstate.OpSnapshot}, {@link
 * dev.hearth.opstate.OpWatch} and {@link dev.hearth.opstate.OpStore} (the operations table).
 */
package dev.hearth.opstate;
