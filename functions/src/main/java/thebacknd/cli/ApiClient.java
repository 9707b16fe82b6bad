package thebacknd.cli;

import thebacknd.edge.ApiResponse;
import thebacknd.edge.Endpoint;

/** How the CLI reaches the API: over HTTP, or in-process with --local. Same answers either way. */
interface ApiClient {

  /** Sends {@code body} (any JSON-serialisable value, or null for none) to the endpoint. */
  ApiResponse call(Endpoint endpoint, Object body);
}
