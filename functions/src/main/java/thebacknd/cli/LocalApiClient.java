package thebacknd.cli;

import java.util.Map;
import thebacknd.edge.ApiRequest;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Route;

/** --local: the domain code in this process, with the caller's own AWS credentials, as the local user. */
final class LocalApiClient implements ApiClient {

  private final App app;
  private final String user;

  LocalApiClient(App app, String user) {
    this.app = app;
    this.user = user;
  }

  @Override
  public ApiReply call(Route route, Object body) {
    // A missing setting is the caller's configuration error (exit 2), not a failed call.
    app.requireReadyFor(route);
    return reply(app.api().handle(ApiRequest.to(route, body == null ? null : JsonValue.write(body)).from(user)));
  }

  @Override
  public ApiReply get(Route route, Map<String, String> query) {
    app.requireReadyFor(route);
    return reply(app.api().handle(new ApiRequest(route.method, route.path, query, null).from(user)));
  }

  private static ApiReply reply(ApiResponse response) {
    return ApiReply.of(response.status(), response.bodyText());
  }
}
