package thebacknd.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import thebacknd.Failure;
import thebacknd.edge.Route;

/**
 * The API over HTTP, with the JDK's {@link HttpURLConnection}: one request at a time, no thread of
 * its own (so nothing holds the process at exit), kept-alive connections reused by follow loops.
 * Requests to an AWS URL (API Gateway) are signed with SigV4 ({@link SigV4}).
 */
final class HttpApiClient implements ApiClient {

  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
  private static final int READ_TIMEOUT_MILLIS = 120_000;

  private final URI base;
  private final Optional<SigV4> signer;

  HttpApiClient(URI base, Optional<SigV4> signer) {
    this.base = base;
    this.signer = signer;
  }

  /**
   * Signs when the URL is an API Gateway one (region from its host name), or when
   * {@code THEBACKND_API_SIGV4} is {@code true} (region from {@code AWS_REGION}), e.g. behind a
   * custom domain.
   */
  static HttpApiClient forUrl(URI base, Map<String, String> env) {
    String host = String.valueOf(base.getHost());
    if (host.contains(".execute-api.")) {
      Matcher m = Pattern.compile("[^.]+\\.execute-api\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?").matcher(host);
      if (m.matches()) {
        return new HttpApiClient(base, Optional.of(new SigV4(m.group(1))));
      }
    }
    if ("true".equalsIgnoreCase(env.getOrDefault("THEBACKND_API_SIGV4", ""))) {
      String region = Optional.ofNullable(env.get("AWS_REGION")).orElse(env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
      return new HttpApiClient(base, Optional.of(new SigV4(region)));
    }
    return new HttpApiClient(base, Optional.empty());
  }

  @Override
  public ApiReply call(Route route, Object body) {
    return send(route, Map.of(), body == null ? "" : JsonValue.write(body));
  }

  @Override
  public ApiReply get(Route route, Map<String, String> query) {
    return send(route, query, "");
  }

  private ApiReply send(Route route, Map<String, String> query, String text) {
    URI uri = resolve(route, query);
    try {
      HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
      connection.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
      connection.setReadTimeout(READ_TIMEOUT_MILLIS);
      connection.setRequestMethod(route.method);
      connection.setRequestProperty("Accept", "application/json");
      boolean post = !route.method.equals("GET");
      if (post) {
        connection.setRequestProperty("Content-Type", "application/json");
      }
      if (signer.isPresent()) {
        signer.get().headers(route.method, uri, query, text).forEach(connection::setRequestProperty);
      }
      if (post) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        connection.setDoOutput(true);
        connection.setFixedLengthStreamingMode(bytes.length);
        try (OutputStream out = connection.getOutputStream()) {
          out.write(bytes);
        }
      }
      int status = connection.getResponseCode();
      // Read to the end and close, so that the connection is kept for the next request.
      InputStream stream = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
      String answer;
      try (InputStream in = stream) {
        answer = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return reply(status, answer);
    } catch (IOException e) {
      throw new Failure(Failure.Kind.UPSTREAM_FAILED, "api_unreachable", "Cannot reach " + uri + ": " + e.getMessage());
    }
  }

  private URI resolve(Route route, Map<String, String> query) {
    String root = base.toString();
    while (root.endsWith("/")) {
      root = root.substring(0, root.length() - 1);
    }
    StringBuilder parameters = new StringBuilder();
    // In a fixed order, each part percent-encoded as SigV4's canonical query string has it.
    for (Map.Entry<String, String> parameter : new TreeMap<>(query).entrySet()) {
      parameters.append(parameters.length() == 0 ? "?" : "&")
          .append(encode(parameter.getKey()))
          .append('=')
          .append(encode(parameter.getValue()));
    }
    return URI.create(root + route.path + parameters);
  }

  /** RFC 3986 percent-encoding: all but letters, digits and {@code -_.~}. */
  static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
  }

  private static ApiReply reply(int status, String text) {
    JsonValue body;
    try {
      body = JsonValue.parse(text);
    } catch (JsonValue.NotJson notJson) {
      return gatewayError(status, text.strip());
    }
    // API Gateway answers some errors itself, in its own shape: {"message": "Forbidden"}.
    if (status >= 400 && !body.has("error")) {
      return gatewayError(status, body.path("message").asText(text.strip()));
    }
    return new ApiReply(status, text, body);
  }

  private static ApiReply gatewayError(int status, String message) {
    Object error = JsonValue.object("error", JsonValue.object("code", "http_" + status, "message", Failure.excerpt(message, 200)));
    return ApiReply.of(status, JsonValue.write(error));
  }
}
