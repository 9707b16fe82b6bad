package thebacknd.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import thebacknd.Failure;
import thebacknd.Json;

/**
 * What a VM's agent measured of its own way to ready (sent with {@code running}, {@code finished}
 * and {@code failed}): its uptime when the agent started, the fetch (time, store paths and bytes
 * Nix substituted) and the switch ({@code 0} for a program). Numbers as the agent sent them.
 */
public record Timings(Number bootS, Number fetchS, Number fetchedPaths, Number fetchedBytes, Number switchS) {

  public static final List<String> KEYS = List.of("boot_s", "fetch_s", "fetched_paths", "fetched_bytes", "switch_s");

  /** The {@code timings} of a report: exactly {@link #KEYS}, each a number ≥ 0, else 400 {@code invalid_timings}. */
  public static Timings parse(JsonNode node) {
    if (!node.isObject()) {
      throw invalid("timings must be an object with " + String.join(", ", KEYS) + ".");
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!KEYS.contains(name)) {
        throw invalid("timings has an unknown key \"" + Failure.excerpt(name, 40) + "\"; it takes exactly " + String.join(", ", KEYS) + ".");
      }
    }
    Number[] values = new Number[KEYS.size()];
    for (int i = 0; i < KEYS.size(); i++) {
      JsonNode value = node.get(KEYS.get(i));
      if (value == null) {
        throw invalid("timings lacks " + KEYS.get(i) + "; it takes exactly " + String.join(", ", KEYS) + ".");
      }
      if (!value.isNumber() || !Double.isFinite(value.doubleValue()) || value.doubleValue() < 0) {
        throw invalid("timings." + KEYS.get(i) + " must be a number of at least 0.");
      }
      values[i] = value.isIntegralNumber() && value.canConvertToLong() ? (Number) value.longValue() : (Number) value.doubleValue();
    }
    return new Timings(values[0], values[1], values[2], values[3], values[4]);
  }

  /** As the lease keeps it. */
  String toJson() {
    return Json.write(this);
  }

  static Timings fromJson(String json) {
    return parse(Json.parse(json));
  }

  private static Failure invalid(String message) {
    return Failure.badRequest("invalid_timings", message);
  }
}
