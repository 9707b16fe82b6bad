package thebacknd.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import thebacknd.Failure;
import thebacknd.Json;

/** A status and a JSON body: what every entry point renders, whatever its transport. */
public record ApiResponse(int status, JsonNode body) {

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

  public String bodyText() {
    return Json.write(body);
  }
}
