package thebacknd.cli;

import java.util.Map;
import thebacknd.edge.Route;

/** How the CLI reaches the API: over HTTP, or in-process with --local. Same answers either way. */
interface ApiClient {

  /** Sends {@code body} (maps, lists, strings, numbers…: see {@link JsonValue#write}; null for none). */
  ApiReply call(Route route, Object body);

  /** A GET route with query parameters ({@code /logs?vm_id=…&after=…}). */
  ApiReply get(Route route, Map<String, String> query);
}
