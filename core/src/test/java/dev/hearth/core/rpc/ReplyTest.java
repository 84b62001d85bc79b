package dev.hearth.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JacksonException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The client's streaming reading of the server's lines, against what the tree reading gives. */
class ReplyTest {
  private static Reply parse(String line) throws IOException {
    return Reply.parse(line.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aResultIsTheExactValueWhateverItsShape() throws IOException {
    for (String result :
        new String[] {
          "{\"a\":[1,2.5,-3e2,{\"b\":null}],\"c\":\"x\\\"y\\n\\u00e9é\"}",
          "\"text, with } and ]\"",
          "123456789012",
          "-0.25",
          "true",
          "null",
          "[]",
          "{}"
        }) {
      for (String line :
          new String[] {
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":" + result + "}",
            "{\"result\":" + result + ",\"id\":7,\"jsonrpc\":\"2.0\"}",
            " { \"id\" : 7 , \"result\" : " + result + " } "
          }) {
        Reply reply = parse(line);
        assertThat(reply.answers(7)).as(line).isTrue();
        assertThat(reply.hasResult()).isTrue();
        assertThat(reply.hasError()).isFalse();
        assertThat(reply.result()).as(line).isEqualTo(Wire.mapper().readTree(result));
      }
    }
  }

  @Test
  void idsMatchAsTheTreeReadingMatchedThem() throws IOException {
    assertThat(parse("{\"id\":3,\"result\":1}").answers(3)).isTrue();
    assertThat(parse("{\"id\":3,\"result\":1}").answers(4)).isFalse();
    assertThat(parse("{\"id\":3.0,\"result\":1}").answers(3)).isTrue();
    assertThat(parse("{\"id\":\"3\",\"result\":1}").answers(3)).isFalse();
    assertThat(parse("{\"id\":99999999999999999999,\"result\":1}").answers(-1)).isFalse();
    // A null id answers any request only with an error (a request the daemon could not read).
    assertThat(parse("{\"id\":null,\"error\":{\"code\":-32700}}").answers(9)).isTrue();
    assertThat(parse("{\"id\":null,\"result\":1}").answers(9)).isFalse();
    assertThat(parse("{\"id\":{\"x\":1},\"result\":1}").idText()).isEqualTo("{\"x\":1}");
  }

  @Test
  void notificationsAndOtherLinesAreToldApart() throws IOException {
    Reply note = parse("{\"jsonrpc\":\"2.0\",\"method\":\"op.progress\",\"params\":{\"n\":[1]}}");
    assertThat(note.isNotification()).isTrue();
    assertThat(note.method()).isEqualTo("op.progress");
    assertThat(note.params().toString()).isEqualTo("{\"n\":[1]}");
    assertThat(parse("{\"method\":\"m\"}").params()).isNull();

    assertThat(parse("{\"method\":5}").isIgnorable()).isTrue();
    assertThat(parse("[1,2]").isIgnorable()).isTrue();
    assertThat(parse("\"x\"").isIgnorable()).isTrue();
    assertThat(Reply.KEEPALIVE.isIgnorable()).isTrue();
    assertThat(parse("{\"id\":1,\"method\":\"m\",\"result\":1}").isNotification()).isFalse();
  }

  @Test
  void anErrorIsReadAsATree() throws IOException {
    Reply reply =
        parse(
            "{\"id\":1,\"error\":{\"code\":-32003,\"message\":\"busy\","
                + "\"data\":{\"kind\":\"b\"}}}");
    assertThat(reply.hasError()).isTrue();
    assertThat(reply.error().path("data").path("kind").asText()).isEqualTo("b");
  }

  @Test
  void aLineIsOneStrictJsonValue() {
    for (String bad :
        new String[] {
          "{\"id\":1,\"result\":1} {}",
          "{\"id\":1,\"result\":1}}",
          "{\"id\":1,\"id\":2,\"result\":1}",
          "{\"id\":1,\"result\":{\"a\":1,\"a\":2}}",
          "{\"id\":1,\"result\":[1,}",
          "{nope"
        }) {
      assertThatThrownBy(() -> parse(bad)).as(bad).isInstanceOf(JacksonException.class);
    }
  }

  @Test
  void aResultIsReadInPlaceBySpan() throws IOException {
    Reply reply = parse("{\"id\":1,\"result\":{\"a\": [1, 2]} }");
    Reply.SpanReader<String> text =
        (json, offset, length) -> new String(json, offset, length, StandardCharsets.UTF_8);
    assertThat(reply.result(text)).isEqualTo("{\"a\": [1, 2]}");
  }
}
