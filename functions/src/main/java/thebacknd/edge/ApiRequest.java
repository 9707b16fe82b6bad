package thebacknd.edge;

import java.util.Map;
import java.util.Optional;

/**
 * One request as a transport decoded it: method, path, query parameters, body text, and who sent
 * it. The transports (Lambda, the local server, the CLI's --local) only decode; {@link Api} decides.
 *
 * @param caller who sent it, as the transport knows it: the IAM ARN API Gateway authenticated, or
 *     the local user for {@code serve} and {@code --local}; empty when unknown (a direct Lambda
 *     invocation). Never taken from the body.
 */
public record ApiRequest(String method, String path, Map<String, String> query, String body, Optional<String> caller) {

  public ApiRequest {
    query = Map.copyOf(query);
  }

  /** A request from an unknown caller. */
  public ApiRequest(String method, String path, Map<String, String> query, String body) {
    this(method, path, query, body, Optional.empty());
  }

  /** The request each route's own method and path make, e.g. for a direct Lambda invocation. */
  public static ApiRequest to(Route route, String body) {
    return new ApiRequest(route.method, route.path, Map.of(), body);
  }

  /** The same request, sent by {@code who} (null or blank: unknown). */
  public ApiRequest from(String who) {
    return new ApiRequest(method, path, query, body, Optional.ofNullable(who).filter(w -> !w.isBlank()));
  }
}
