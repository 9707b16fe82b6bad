package thebacknd.edge;

import java.util.Map;

/**
 * One request as a transport decoded it: method, path, query parameters and body text. The
 * transports (Lambda, the local server, the CLI's --local) only decode; {@link Api} decides.
 */
public record ApiRequest(String method, String path, Map<String, String> query, String body) {

  public ApiRequest {
    query = Map.copyOf(query);
  }

  /** The request each endpoint's own method and path make, e.g. for a direct Lambda invocation. */
  public static ApiRequest to(Endpoint endpoint, String body) {
    return new ApiRequest(endpoint.method, endpoint.path, Map.of(), body);
  }
}
