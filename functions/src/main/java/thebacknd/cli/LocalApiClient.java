package thebacknd.cli;

import java.util.Map;
import thebacknd.edge.ApiRequest;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Endpoint;

/** --local: the domain code in this process, with the caller's own AWS credentials, as the local user. */
final class LocalApiClient implements ApiClient {

  private final App app;
  private final String user;

  LocalApiClient(App app, String user) {
    this.app = app;
    this.user = user;
  }

  @Override
  public ApiReply call(Endpoint endpoint, Object body) {
    // A missing setting is the caller's configuration error (exit 2), not a failed call.
    app.requireReadyFor(endpoint);
    return reply(app.api().handle(ApiRequest.to(endpoint, body == null ? null : JsonValue.write(body)).from(user)));
  }

  @Override
  public ApiReply get(Endpoint endpoint, Map<String, String> query) {
    app.requireReadyFor(endpoint);
    return reply(app.api().handle(new ApiRequest(endpoint.method, endpoint.path, query, null).from(user)));
  }

  private static ApiReply reply(ApiResponse response) {
    return ApiReply.of(response.status(), response.bodyText());
  }
}
