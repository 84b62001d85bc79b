package dev.hearth.daemon.internal.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.Session;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.SessionState;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A session's output for a VM page, from a fake guest: its end, and reads that never end. */
class WebApiTest {
  private static final long READ_BYTES = 1 << 20;
  private static final Duration READ_TIME = Duration.ofSeconds(1);

  /** Far beyond the bounds: a read still running then never ends. */
  private static final Duration HANG = Duration.ofSeconds(60);

  private static final Session SESSION =
      new Session(
          "s1",
          Optional.empty(),
          SessionState.RUNNING,
          OptionalInt.empty(),
          Instant.EPOCH,
          "yes",
          List.of("yes"),
          Optional.empty(),
          Map.of());

  final WebDeadlines deadlines = new WebDeadlines();

  @AfterEach
  void stop() {
    deadlines.close();
  }

  private WebApi api(FakeSources.SessionLog log) {
    return new WebApi(FakeSources.with(() -> new byte[0], log), deadlines, READ_BYTES, READ_TIME);
  }

  @Test
  void theAnswerIsTheOutputsLastBytes() throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    JsonNode answer =
        api(out -> {
              for (int size : new int[] {1, 100, 20_000, 7, WebApi.SESSION_TAIL_BYTES - 3, 5}) {
                byte[] chunk = new byte[size];
                Arrays.fill(chunk, (byte) ('a' + all.size() % 26));
                chunk[0] = '|';
                all.writeBytes(chunk);
                out.output(1, chunk);
              }
              return new SessionOutput(all.size(), SESSION);
            })
            .sessionOutput("web1", "s1");
    byte[] bytes = all.toByteArray();
    String end =
        new String(
            bytes,
            bytes.length - WebApi.SESSION_TAIL_BYTES,
            WebApi.SESSION_TAIL_BYTES,
            StandardCharsets.UTF_8);
    assertThat(answer.path("text").asText()).isEqualTo(end);
    assertThat(answer.path("session").path("id").asText()).isEqualTo("s1");
    assertThat(answer.has("truncated")).isFalse();
  }

  @Test
  void anEndlessOutputIsReadUpToItsBoundAndSaysSo() {
    byte[] zeros = new byte[64 * 1024];
    JsonNode answer =
        assertTimeoutPreemptively(
            HANG,
            () ->
                api(out -> {
                      while (true) {
                        out.output(1, zeros);
                      }
                    })
                    .sessionOutput("web1", "s1"));
    assertThat(answer.path("text").asText()).hasSize(WebApi.SESSION_TAIL_BYTES);
    assertThat(answer.path("truncated").asText())
        .isEqualTo(
            "the output passed 1 MiB, the most the web UI reads: this is not its end; hearth"
                + " session logs shows it all");
    assertThat(answer.has("session")).isFalse();
  }

  @Test
  void anOutputThatStallsIsGivenUpAtItsDeadlineAndSaysSo() {
    JsonNode answer =
        assertTimeoutPreemptively(
            HANG,
            () -> {
              JsonNode read =
                  api(out -> {
                        out.output(1, "first lines\n".getBytes(StandardCharsets.UTF_8));
                        new CountDownLatch(1).await(); // a guest that sends nothing more
                        throw new AssertionError("unreachable");
                      })
                      .sessionOutput("web1", "s1");
              assertThat(Thread.currentThread().isInterrupted())
                  .as("the deadline's interrupt left on the thread")
                  .isFalse();
              return read;
            });
    assertThat(answer.path("text").asText()).isEqualTo("first lines\n");
    assertThat(answer.path("truncated").asText())
        .isEqualTo(
            "reading the output took more than 1 s, the most the web UI waits: this is not its"
                + " end; hearth session logs shows it all");
  }

  @Test
  void aFailureOfTheReadItselfIsStillAnError() {
    WebApi api =
        api(
            out -> {
              throw new IllegalStateException("the guest is gone");
            });
    assertThatThrownBy(() -> api.sessionOutput("web1", "s1"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the guest is gone");
  }
}
