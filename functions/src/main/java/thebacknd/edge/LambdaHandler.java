package thebacknd.edge;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import thebacknd.Failure;
import thebacknd.Json;
import thebacknd.Lazy;
import thebacknd.Log;
import thebacknd.config.ConfigException;

/**
 * What every function shares: built once per container (configuration checked at init, so a
 * mistake fails the init with one line), then for each invocation it tells apart an API Gateway
 * HTTP API v2 event, a schedule event and a direct payload, and answers in the same shape.
 */
public abstract class LambdaHandler implements RequestStreamHandler {

  /** API Gateway's catch-all route key: what matched no other route comes with it. */
  static final String DEFAULT_ROUTE = "$default";

  private static final Lazy<App> APP = Lazy.of(() -> App.fromEnvironment(System.getenv()));

  private final Route route;
  private final Api api;

  protected LambdaHandler(Route route) {
    this(route, containerApi(route));
    SnapStartPriming.register(route, System.getenv());
  }

  /** For tests: a handler over an {@link Api} built from a given environment. */
  LambdaHandler(Route route, Api api) {
    this.route = route;
    this.api = api;
  }

  private static Api containerApi(Route route) {
    try {
      App app = APP.get();
      app.requireReadyFor(route);
      return app.api();
    } catch (ConfigException e) {
      Log.warn("configuration error: " + e.getMessage());
      throw e;
    }
  }

  @Override
  public final void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    try (Log.Scope scope = Log.request(context == null ? null : context.getAwsRequestId())) {
      answer(input, output);
    }
  }

  private void answer(InputStream input, OutputStream output) throws IOException {
    byte[] payload = input.readAllBytes();
    String answer;
    JsonNode event;
    try {
      event = Json.MAPPER.readTree(payload);
    } catch (IOException e) {
      event = null;
    }
    if (event != null && isHttpApiEvent(event)) {
      answer = Json.write(httpResponse(fromHttpApi(event)));
    } else if (event != null && (route == Route.DESTROY_OLD || route == Route.POOL) && isScheduleEvent(event)) {
      answer = api.handle(route, "{}").bodyText();
    } else {
      answer = api.handle(route, new String(payload, StandardCharsets.UTF_8)).bodyText();
    }
    output.write(answer.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Decodes the event into a request to this function's route (API Gateway sends each route to its
   * own function, whatever stage prefix the URL had) and lets the {@link Api} answer it; an event
   * of the {@code $default} route (it matched no route) gets only its 404 or 405.
   */
  private ApiResponse fromHttpApi(JsonNode event) {
    String method = event.path("requestContext").path("http").path("method").asText("");
    if (DEFAULT_ROUTE.equals(event.path("routeKey").asText())) {
      return api.unmatched(method, event.path("rawPath").asText(""));
    }
    JsonNode body = event.get("body");
    String text = body == null || body.isNull() ? "" : body.asText();
    if (event.path("isBase64Encoded").asBoolean(false)) {
      try {
        text = new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return ApiResponse.error(Failure.badRequest("malformed_body", "The body is not valid base64."));
      }
    }
    Map<String, String> query = new LinkedHashMap<>();
    event.path("queryStringParameters").fields().forEachRemaining(q -> query.put(q.getKey(), q.getValue().asText()));
    return api.handle(new ApiRequest(method, route.path, query, text).from(callerOf(event)));
  }

  /**
   * Who API Gateway authenticated: the caller's IAM ARN on the IAM-authorized routes
   * ({@code requestContext.authorizer.iam.userArn}); null on the routes VMs call without it.
   */
  static String callerOf(JsonNode event) {
    JsonNode arn = event.path("requestContext").path("authorizer").path("iam").path("userArn");
    return arn.isTextual() ? arn.asText() : null;
  }

  private static ObjectNode httpResponse(ApiResponse response) {
    ObjectNode out = Json.object();
    out.put("statusCode", response.status());
    ObjectNode headers = out.putObject("headers").put("content-type", "application/json");
    response.headers().forEach(headers::put);
    out.put("body", response.bodyText());
    out.put("isBase64Encoded", false);
    return out;
  }

  /** An API Gateway HTTP API payload format 2.0 event. */
  static boolean isHttpApiEvent(JsonNode event) {
    return event.isObject()
        && "2.0".equals(event.path("version").asText())
        && event.path("requestContext").has("http");
  }

  /** An EventBridge (rule or Scheduler) scheduled invocation. */
  static boolean isScheduleEvent(JsonNode event) {
    return event.isObject()
        && ("Scheduled Event".equals(event.path("detail-type").asText())
            || "aws.scheduler".equals(event.path("source").asText()));
  }
}
