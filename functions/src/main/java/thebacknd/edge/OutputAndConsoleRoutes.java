package thebacknd.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import thebacknd.Failure;
import thebacknd.Json;
import thebacknd.output.OutputService;
import thebacknd.vm.ConsoleService;

/**
 * The routes of what a VM gives back: {@code POST /output} (kill code), {@code GET /logs} and
 * {@code GET /console} (IAM). Each is parse → domain → render, like {@link Api}'s own.
 */
final class OutputAndConsoleRoutes {

  /** The body limit of {@code POST /output}: a chunk's text as JSON escapes it, and the other fields. */
  static final int OUTPUT_MAX_BODY_BYTES = OutputService.MAX_BODY_BYTES;

  private final OutputService output;
  private final ConsoleService consoles;

  OutputAndConsoleRoutes(OutputService output, ConsoleService consoles) {
    this.output = output;
    this.consoles = consoles;
  }

  ApiResponse output(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("vm_id", "vm_killcode", "seq", "text", "final"));
    OutputService.Accepted accepted =
        output.accept(
            f.requiredString("vm_id"),
            f.requiredString("vm_killcode"),
            f.requiredInt("seq"),
            f.requiredString("text"),
            f.optionalBoolean("final", false));
    return ApiResponse.ok(200, accepted);
  }

  ApiResponse logs(Map<String, String> query, String body) {
    Map<String, String> p = parameters(query, body, Set.of("name", "vm_id", "after"));
    long after = after(p.get("after"));
    String name = p.get("name");
    String vmId = p.get("vm_id");
    if ((name == null) == (vmId == null)) {
      throw Failure.badRequest("name_or_vm_id", "Give name=NAME or vm_id=ID, one of the two.");
    }
    return ApiResponse.ok(200, name != null ? output.logsByName(name, after) : output.logsByVmId(vmId, after));
  }

  ApiResponse console(Map<String, String> query, String body) {
    String name = parameters(query, body, Set.of("name")).get("name");
    if (name == null) {
      throw Failure.badRequest("missing_parameter", "Give name=NAME, the live VM whose console to show.");
    }
    return ApiResponse.ok(200, consoles.latest(name));
  }

  /**
   * The query parameters; for a direct Lambda invocation, which has none, the payload's fields
   * ({@code {"name": "thebacknd-1"}}). Unknown ones are refused, as unknown body fields are.
   */
  private static Map<String, String> parameters(Map<String, String> query, String body, Set<String> allowed) {
    Map<String, String> p = new LinkedHashMap<>(query);
    if (p.isEmpty()) {
      JsonNode payload = Json.parse(body);
      Fields.of(payload, allowed); // refuses unknown fields and non-objects
      payload.fields().forEachRemaining(e -> {
        if (!e.getValue().isNull()) {
          p.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
        }
      });
    }
    for (String key : p.keySet()) {
      if (!allowed.contains(key)) {
        throw Failure.badRequest(
            "unknown_parameter",
            "Unknown parameter \"" + Failure.excerpt(key, 40) + "\"; expected " + String.join(", ", allowed.stream().sorted().toList()) + ".");
      }
    }
    return p;
  }

  private static long after(String text) {
    if (text == null || text.isEmpty()) {
      return -1;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw Failure.badRequest("invalid_after", "after must be a whole number: the next of the previous answer, or -1.");
    }
  }
}
