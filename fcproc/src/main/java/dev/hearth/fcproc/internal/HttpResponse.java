package dev.hearth.fcproc.internal;

/** A parsed HTTP response: the status and the body as text. */
public record HttpResponse(int status, String body) {}
