package thebacknd.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import thebacknd.Failure;
import thebacknd.Json;

/**
 * A status, headers beyond {@code Content-Type: application/json} (such as {@code Allow} on a
 * 405) and a JSON body: what every entry point renders, whatever its transport.
 */
public record ApiResponse(int status, Map<String, String> headers, JsonNode body) {

  public ApiResponse {
    headers = Map.copyOf(headers);
  }

  public ApiResponse(int status, JsonNode body) {
    this(status, Map.of(), body);
  }

  public static ApiResponse ok(int status, Object body) {
    return new ApiResponse(status, Json.tree(body));
  }

  /** {@code {"error": {"code": …, "message": …}}} with the failure's status. */
  public static ApiResponse error(Failure failure) {
    ObjectNode error = Json.object();
    error.put("code", failure.code());
    error.put("message", failure.getMessage());
    ObjectNode body = Json.object();
    body.set("error", error);
    return new ApiResponse(failure.status(), body);
  }

  public ApiResponse withHeader(String name, String value) {
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return new ApiResponse(status, more, body);
  }

  public String bodyText() {
    return Json.write(body);
  }
}
