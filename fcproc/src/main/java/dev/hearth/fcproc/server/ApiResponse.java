package dev.hearth.fcproc.server;

/** One answer of a {@link FirecrackerApiServer}: 204, 200 with JSON, or 400 with a fault. */
public record ApiResponse(int status, String body) {}
