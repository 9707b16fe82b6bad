package thebacknd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.utils.http.SdkHttpUtils;
import thebacknd.Failure;
import thebacknd.Json;
import thebacknd.Lazy;
import thebacknd.config.ConfigException;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Endpoint;

/**
 * The API over HTTP. Requests to an AWS URL (API Gateway) are signed with SigV4 using the SDK's
 * signer and the caller's default credentials, as the API's IAM authorizer expects.
 */
final class HttpApiClient implements ApiClient {

  private static final Pattern AWS_HOST =
      Pattern.compile("[^.]+\\.execute-api\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?");
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private final URI base;
  private final Optional<String> signingRegion;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final Lazy<AwsCredentialsIdentity> credentials = Lazy.of(HttpApiClient::resolveCredentials);

  HttpApiClient(URI base, Optional<String> signingRegion) {
    this.base = base;
    this.signingRegion = signingRegion;
  }

  /**
   * Signs when the URL is an API Gateway one (region from its host name), or when
   * {@code THEBACKND_API_SIGV4} is {@code true} (region from {@code AWS_REGION}), e.g. behind a
   * custom domain.
   */
  static HttpApiClient forUrl(URI base, Map<String, String> env) {
    Matcher m = AWS_HOST.matcher(String.valueOf(base.getHost()));
    if (m.matches()) {
      return new HttpApiClient(base, Optional.of(m.group(1)));
    }
    if ("true".equalsIgnoreCase(env.getOrDefault("THEBACKND_API_SIGV4", ""))) {
      String region = Optional.ofNullable(env.get("AWS_REGION")).orElse(env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
      return new HttpApiClient(base, Optional.of(region));
    }
    return new HttpApiClient(base, Optional.empty());
  }

  @Override
  public ApiResponse call(Endpoint endpoint, Object body) {
    return send(endpoint, Map.of(), body == null ? "" : Json.write(body));
  }

  @Override
  public ApiResponse get(Endpoint endpoint, Map<String, String> query) {
    return send(endpoint, query, "");
  }

  private ApiResponse send(Endpoint endpoint, Map<String, String> query, String text) {
    URI uri = resolve(endpoint, query);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT);
    if (endpoint.method.equals("GET")) {
      request.GET();
    } else {
      request.POST(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8));
      request.header("Content-Type", "application/json");
    }
    signingRegion.ifPresent(region -> sign(request, uri, query, endpoint.method, text, region));
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new Failure(Failure.Kind.AWS_FAILED, "api_unreachable", "Cannot reach " + uri + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure(Failure.Kind.AWS_FAILED, "interrupted", "Interrupted while calling " + uri + ".");
    }
    return new ApiResponse(response.statusCode(), parse(response));
  }

  /** The caller's credentials from the SDK's default chain; none is a configuration error (exit 2). */
  private static AwsCredentialsIdentity resolveCredentials() {
    try (DefaultCredentialsProvider provider = DefaultCredentialsProvider.builder().build()) {
      return provider.resolveCredentials();
    } catch (SdkClientException e) {
      throw new ConfigException(
          "no AWS credentials found to sign the request (" + Failure.excerpt(e.getMessage(), 120) + ")");
    }
  }

  private URI resolve(Endpoint endpoint, Map<String, String> query) {
    String root = base.toString().replaceAll("/+$", "");
    StringBuilder parameters = new StringBuilder();
    // In a fixed order, each part percent-encoded as SigV4's canonical query string has it.
    new TreeMap<>(query).forEach((name, value) -> parameters
        .append(parameters.length() == 0 ? "?" : "&")
        .append(SdkHttpUtils.urlEncode(name))
        .append('=')
        .append(SdkHttpUtils.urlEncode(value)));
    return URI.create(root + endpoint.path + parameters);
  }

  private static JsonNode parse(HttpResponse<String> response) {
    JsonNode body;
    try {
      body = Json.parse(response.body());
    } catch (Failure notJson) {
      return gatewayError(response.statusCode(), response.body().strip());
    }
    // API Gateway answers some errors itself, in its own shape: {"message": "Forbidden"}.
    if (response.statusCode() >= 400 && !body.has("error")) {
      return gatewayError(response.statusCode(), body.path("message").asText(body.toString()));
    }
    return body;
  }

  private static JsonNode gatewayError(int status, String message) {
    var error = Json.object();
    error.putObject("error").put("code", "http_" + status).put("message", Failure.excerpt(message, 200));
    return error;
  }

  private void sign(HttpRequest.Builder request, URI uri, Map<String, String> query, String method, String body, String region) {
    SdkHttpRequest.Builder unsigned =
        SdkHttpRequest.builder()
            .uri(uri)
            .method(SdkHttpMethod.fromValue(method))
            .putHeader("Content-Type", "application/json");
    // The signature covers the query string too; the builder takes its parameters unencoded.
    query.forEach(unsigned::putRawQueryParameter);
    SignedRequest signed =
        AwsV4HttpSigner.create()
            .sign(
                r ->
                    r.identity(credentials.get())
                        .request(unsigned.build())
                        .payload(ContentStreamProvider.fromUtf8String(body))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, region));
    for (Map.Entry<String, List<String>> header : signed.request().headers().entrySet()) {
      if (RESTRICTED.contains(header.getKey().toLowerCase())) {
        continue;
      }
      for (String value : header.getValue()) {
        request.setHeader(header.getKey(), value);
      }
    }
  }

  /** Headers the JDK client sets itself and refuses from callers. */
  private static final List<String> RESTRICTED = List.of("host", "content-length", "connection");

}
