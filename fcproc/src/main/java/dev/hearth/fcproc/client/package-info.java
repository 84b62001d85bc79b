/**
 * The Firecracker API client ({@link dev.hearth.fcproc.client.FirecrackerClient}: HTTP/1.1 over the
 * API socket) and the request records, whose fields carry the spec's names.
 */
package dev.hearth.fcproc.client;
