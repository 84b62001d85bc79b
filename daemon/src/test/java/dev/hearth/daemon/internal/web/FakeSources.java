package dev.hearth.daemon.internal.web;

import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.Images;
import dev.hearth.daemon.Ops;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.Sessions;
import dev.hearth.daemon.Vms;
import dev.hearth.daemon.Workspaces;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the web UI reads, faked: no VM, no operation, and what a test gives for the console and a
 * session's output. Any other call fails, naming itself.
 */
final class FakeSources {
  /** A VM's console log, as {@code Vms.logs} answers it. */
  @FunctionalInterface
  interface Console {
    byte[] logs();
  }

  /** A session's output, as {@code Sessions.logs} hands it over. */
  @FunctionalInterface
  interface SessionLog {
    SessionOutput logs(OutputSink out) throws InterruptedException;
  }

  private FakeSources() {}

  static WebSources with(Console console, SessionLog sessionLog) {
    Vms vms = fake(Vms.class, Map.of("list", args -> List.of(), "logs", args -> console.logs()));
    Ops ops = fake(Ops.class, Map.of("list", args -> List.of()));
    Sessions sessions =
        fake(Sessions.class, Map.of("logs", args -> sessionLog.logs((OutputSink) args[4])));
    Supplier<DoctorReport> doctor =
        () -> {
          throw new UnsupportedOperationException("the doctor is not faked");
        };
    return new WebSources(
        vms,
        ops,
        fake(Images.class, Map.of()),
        sessions,
        fake(Workspaces.class, Map.of()),
        doctor,
        "hearth.internal");
  }

  static WebSources withConsole(Console console) {
    return with(
        console,
        out -> {
          throw new UnsupportedOperationException("sessions are not faked");
        });
  }

  /** What a faked method does with its arguments. */
  @FunctionalInterface
  interface Answer {
    Object answer(Object[] args) throws Exception;
  }

  static <T> T fake(Class<T> type, Map<String, Answer> answers) {
    return type.cast(
        Proxy.newProxyInstance(
            type.getClassLoader(),
            new Class<?>[] {type},
            (proxy, method, args) -> {
              if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                  case "equals" -> proxy == args[0];
                  case "hashCode" -> System.identityHashCode(proxy);
                  default -> "fake " + type.getSimpleName();
                };
              }
              Answer answer = answers.get(method.getName());
              if (answer == null) {
                throw new UnsupportedOperationException(
                    type.getSimpleName() + "." + method.getName() + " is not faked");
              }
              return answer.answer(args);
            }));
  }
}
