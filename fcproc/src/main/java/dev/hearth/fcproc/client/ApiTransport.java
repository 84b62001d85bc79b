package dev.hearth.fcproc.client;

import dev.hearth.fcproc.internal.HttpResponse;
import java.io.IOException;

/** Carries one API request to Firecracker and brings back its response. */
interface ApiTransport {

  /** Sends a request; {@code body} is null when it has none. */
  HttpResponse exchange(String method, String path, String body) throws IOException;

  /** Whether something accepts connections on the API socket right now. */
  boolean accepts();
}
