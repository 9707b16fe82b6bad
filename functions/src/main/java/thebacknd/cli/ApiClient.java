package thebacknd.cli;

import java.util.Map;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Endpoint;

/** How the CLI reaches the API: over HTTP, or in-process with --local. Same answers either way. */
interface ApiClient {

  /** Sends {@code body} (any JSON-serialisable value, or null for none) to the endpoint. */
  ApiResponse call(Endpoint endpoint, Object body);

  /** A GET route with query parameters ({@code /logs?vm_id=…&after=…}). */
  ApiResponse get(Endpoint endpoint, Map<String, String> query);
}
