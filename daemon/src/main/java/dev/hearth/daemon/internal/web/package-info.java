/**
 * The daemon's read-only web UI (ARCHITECTURE.md, "Web UI"): {@link
 * dev.hearth.daemon.internal.web.WebServer} on the JDK's HTTP server, the token and cookie gate,
 * the JSON API under {@code /api/}, Server-Sent Events, and the page, script and style sheet served
 * from the jar.
 */
package dev.hearth.daemon.internal.web;
