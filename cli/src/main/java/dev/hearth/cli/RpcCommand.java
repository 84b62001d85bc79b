package dev.hearth.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.RawRpc;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Sends one raw JSON-RPC request and prints its result. */
@Command(
    name = "rpc",
    description =
        "Send a raw request to the daemon and print the result, e.g. " + "hearth rpc daemon.ping")
final class RpcCommand implements Callable<Integer> {
  @ParentCommand HearthCommand hearth;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "METHOD", description = "noun.verb, e.g. daemon.version")
  String method;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "JSON",
      description = "The params, a JSON object (default: none).")
  String params;

  @Override
  public Integer call() {
    try {
      if (params != null) {
        Json.parse(params);
      }
    } catch (JsonProcessingException e) {
      throw new ParameterException(
          spec.commandLine(), "the params argument is not valid JSON: " + e.getOriginalMessage());
    }
    String result;
    try (Hearth api = hearth.hearth()) {
      if (!(api instanceof RawRpc raw)) {
        throw new IllegalStateException("raw requests need a daemon's socket");
      }
      result = raw.call(method, Optional.ofNullable(params));
    }
    String rendered;
    try {
      rendered = Json.render(Json.parse(result), hearth.env().interactive() && !hearth.json());
    } catch (JsonProcessingException e) {
      // The client hands back the daemon's result as it came; show it rather than fail.
      rendered = result;
    }
    hearth.out().println(rendered);
    hearth.out().flush();
    return 0;
  }
}
