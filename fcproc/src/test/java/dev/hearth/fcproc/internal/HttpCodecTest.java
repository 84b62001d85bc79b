package dev.hearth.fcproc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpCodecTest {

  static HttpResponse parse(String raw) throws Exception {
    return HttpCodec.readResponse(new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void writesARequestWithAJsonBody() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    HttpCodec.writeRequest(out, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}");
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "PUT /actions HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
                + "Content-Type: application/json\r\nContent-Length: 31\r\n\r\n"
                + "{\"action_type\":\"InstanceStart\"}");
  }

  @Test
  void writesARequestWithoutABody() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    HttpCodec.writeRequest(out, "GET", "/", null);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo("GET / HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n");
  }

  @Test
  void readsContentLengthChunkedAndEmptyBodies() throws Exception {
    assertThat(parse("HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\n{}trailing"))
        .isEqualTo(new HttpResponse(200, "{}"));
    assertThat(parse("HTTP/1.1 204 No Content\r\nServer: Firecracker API\r\n\r\n"))
        .isEqualTo(new HttpResponse(204, ""));
    assertThat(
            parse(
                "HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n"
                    + "4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n"))
        .isEqualTo(new HttpResponse(400, "{\"a\":1}"));
    assertThat(parse("HTTP/1.0 500 Oops\n\nbody until close"))
        .isEqualTo(new HttpResponse(500, "body until close"));
  }

  @Test
  void rejectsWhatIsNotHttp() {
    assertThatThrownBy(() -> parse("SSH-2.0-OpenSSH\r\n\r\n"))
        .isInstanceOf(MalformedResponseException.class)
        .hasMessageContaining("SSH-2.0-OpenSSH");
    assertThatThrownBy(() -> parse("")).isInstanceOf(MalformedResponseException.class);
    assertThatThrownBy(() -> parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"))
        .isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> parse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"))
        .isInstanceOf(MalformedResponseException.class);
  }
}
