/**
 * fcproc's own helpers shared by its packages and nothing else: the HTTP/1.1 codec of the
 * Firecracker API client (whose header limit the server shares) and the id rules of Firecracker's
 * API. Not for other modules (the module rules forbid it).
 */
package dev.hearth.fcproc.internal;
