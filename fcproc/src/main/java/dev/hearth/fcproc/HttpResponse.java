package dev.hearth.fcproc;

/** A parsed HTTP response: the status and the body as text. */
record HttpResponse(int status, String body) {}
