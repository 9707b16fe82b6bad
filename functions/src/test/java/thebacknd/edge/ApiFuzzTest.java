package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import thebacknd.Json;

/**
 * Fuzzes the request parser: {@link Api#handle} with any method, path, query and body answers
 * with a status and a JSON body (also as UTF-8 bytes), never 500 and never by throwing, and
 * refuses a body that is not strictly JSON with 400. An input is the request line
 * ({@code METHOD PATH[?QUERY]}), a newline, then the body.
 *
 * <p>AWS is a closed loopback port with SDK retries off: a request that gets past parsing is
 * answered 502 {@code aws_unreachable} at once, a clean answer, and nothing can be launched.
 */
class ApiFuzzTest {

  private static final int CLOSED_PORT = closedLoopbackPort();
  private static final Api API = apiWithUnreachableAws();
  private static final ObjectReader STRICT =
      new ObjectMapper().reader()
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

  @FuzzTest
  void handle(byte[] input) {
    ApiRequest request = request(new String(input, StandardCharsets.UTF_8));
    ApiResponse response;
    try (SilentCloseable onlyTheClosedPort =
        BugDetectors.allowNetworkConnections((host, port) -> port == CLOSED_PORT && (host.equals("127.0.0.1") || host.equals("localhost")))) {
      response = API.handle(request);
    }
    assertNotEquals(500, response.status(), response.bodyText());
    byte[] sent = response.bodyText().getBytes(StandardCharsets.UTF_8);
    assertEquals(response.body(), Json.parse(new String(sent, StandardCharsets.UTF_8)), "the body is JSON, also as the UTF-8 bytes sent");
    boolean readsTheBody = Route.forPath(request.path()).filter(e -> e.method.equals("POST") && e.method.equals(request.method())).isPresent();
    if (readsTheBody && request.body() != null && !request.body().isBlank() && !isStrictJson(request.body()) && response.status() != 413) {
      assertEquals(400, response.status(), "a body that is not one JSON value, or repeats a name, is malformed: " + response.bodyText());
    }
    if (response.status() >= 400) {
      JsonNode error = response.body().path("error");
      assertTrue(error.path("code").asText().matches("[a-z_]+"), response.bodyText());
      String message = error.path("message").asText();
      assertFalse(message.isBlank() || message.contains("\n"), "one line: " + response.bodyText());
    }
  }

  /** One JSON value and nothing after it, no object naming a field twice: what RFC 8259 parsers agree on. */
  private static boolean isStrictJson(String text) {
    try {
      STRICT.readTree(text);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code METHOD PATH?a=b&c=d}, newline, body; no newline: no body. */
  static ApiRequest request(String text) {
    int newline = text.indexOf('\n');
    String line = newline < 0 ? text : text.substring(0, newline);
    String body = newline < 0 ? null : text.substring(newline + 1);
    int space = line.indexOf(' ');
    String method = space < 0 ? line : line.substring(0, space);
    String target = space < 0 ? "" : line.substring(space + 1);
    int question = target.indexOf('?');
    Map<String, String> query = new LinkedHashMap<>();
    if (question >= 0) {
      for (String pair : target.substring(question + 1).split("&")) {
        int equals = pair.indexOf('=');
        query.putIfAbsent(equals < 0 ? pair : pair.substring(0, equals), equals < 0 ? "" : pair.substring(equals + 1));
      }
    }
    return new ApiRequest(method, question < 0 ? target : target.substring(0, question), query, body);
  }

  private static Api apiWithUnreachableAws() {
    // One attempt per AWS call: a refused connection answers at once instead of after backoff.
    // Dummy credentials and no instance metadata, whatever the environment has.
    System.setProperty("aws.maxAttempts", "1");
    System.setProperty("aws.accessKeyId", "fuzz");
    System.setProperty("aws.secretAccessKey", "fuzz");
    System.setProperty("aws.disableEc2Metadata", "true");
    String nowhere = "http://127.0.0.1:" + CLOSED_PORT;
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ENDPOINT_URL", nowhere);
    env.put("AWS_REGION", "us-east-1");
    env.put("THEBACKND_SECRET", "fuzz-secret-0123456789abcdef");
    env.put("THEBACKND_IMAGE_ID", "ami-0123456789abcdef0");
    env.put("THEBACKND_API_URL", nowhere);
    env.put("THEBACKND_ALLOWED_INSTANCE_TYPES", "t3.micro,t3.small");
    env.put("THEBACKND_LEASES_TABLE", "thebacknd-leases");
    env.put("THEBACKND_OUTPUT_BUCKET", "thebacknd-output");
    env.put("NIX_CACHE", nowhere + "/cache");
    env.put("NIX_TRUSTED_KEY", "test-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=");
    env.put("THEBACKND_VERIFY_CACHE", "true");
    return App.fromEnvironment(env).api();
  }

  /** A loopback port nothing listens on: bound, then released. */
  private static int closedLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
