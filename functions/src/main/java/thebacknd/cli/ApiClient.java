package thebacknd.cli;

import java.util.Map;
import thebacknd.edge.Endpoint;

/** How the CLI reaches the API: over HTTP, or in-process with --local. Same answers either way. */
interface ApiClient {

  /** Sends {@code body} (maps, lists, strings, numbers…: see {@link JsonValue#write}; null for none). */
  ApiReply call(Endpoint endpoint, Object body);

  /** A GET route with query parameters ({@code /logs?vm_id=…&after=…}). */
  ApiReply get(Endpoint endpoint, Map<String, String> query);
}
