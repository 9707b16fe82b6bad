package thebacknd.cli;

import java.util.Map;
import thebacknd.edge.ApiRequest;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Endpoint;

/** --local: the domain code in this process, with the caller's own AWS credentials. */
final class LocalApiClient implements ApiClient {

  private final App app;

  LocalApiClient(App app) {
    this.app = app;
  }

  @Override
  public Reply call(Endpoint endpoint, Object body) {
    // A missing setting is the caller's configuration error (exit 2), not a failed call.
    app.requireReadyFor(endpoint);
    return reply(app.api().handle(endpoint, body == null ? null : JsonValue.write(body)));
  }

  @Override
  public Reply get(Endpoint endpoint, Map<String, String> query) {
    app.requireReadyFor(endpoint);
    return reply(app.api().handle(new ApiRequest(endpoint.method, endpoint.path, query, null)));
  }

  private static Reply reply(ApiResponse response) {
    return Reply.of(response.status(), response.bodyText());
  }
}
