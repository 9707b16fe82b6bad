package thebacknd.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one line {@code run --wait} ends with: how long the VM took to be ready and where the time
 * went, from the VM's {@code timeline}, {@code ready_s}, {@code from_pool} and {@code timings}:
 * {@code thebacknd-1: ready in 41.2 s (launch 1.1 s, boot 22.0 s, fetch 9.3 s / 120.4 MiB, switch 8.8 s)}.
 * Launch is requested → launched (→ claimed, from the pool); a part not known is left out.
 */
final class ReadySummary {

  private static final double MIB = 1024.0 * 1024.0;

  private ReadySummary() {}

  /** The line, or null when the VM's time to ready is not known (an API without timelines, not ready yet). */
  static String line(JsonValue vm) {
    JsonValue timeline = vm.path("timeline");
    Double ready = vm.path("ready_s").asNumber();
    if (ready == null) {
      Instant end = stamp(timeline, "running");
      ready = seconds(stamp(timeline, "requested"), end != null ? end : stamp(timeline, "finished"));
    }
    if (ready == null) {
      return null;
    }
    boolean pooled = vm.path("from_pool").asBoolean(false);
    List<String> parts = new ArrayList<>();
    Double launch = seconds(stamp(timeline, "requested"), stamp(timeline, pooled ? "claimed" : "launched"));
    JsonValue timings = vm.path("timings");
    add(parts, "launch", launch);
    add(parts, "boot", timings.path("boot_s").asNumber());
    Double fetch = timings.path("fetch_s").asNumber();
    Double bytes = timings.path("fetched_bytes").asNumber();
    if (fetch != null && fetch >= 0) {
      parts.add("fetch " + decimal(fetch) + " s" + (bytes == null || bytes < 0 ? "" : " / " + decimal(bytes / MIB) + " MiB"));
    }
    add(parts, "switch", timings.path("switch_s").asNumber());
    return Render.text(vm, "name") + ": ready in " + decimal(ready) + " s" + (pooled ? " from the pool" : "")
        + (parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")");
  }

  private static void add(List<String> parts, String label, Double seconds) {
    if (seconds != null && seconds >= 0) {
      parts.add(label + " " + decimal(seconds) + " s");
    }
  }

  private static String decimal(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }

  private static Instant stamp(JsonValue timeline, String event) {
    String text = timeline.path(event).asText();
    if (text == null) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** Seconds from one stamp to the next; null when either is unknown or they are out of order. */
  private static Double seconds(Instant from, Instant to) {
    if (from == null || to == null || to.isBefore(from)) {
      return null;
    }
    return Duration.between(from, to).toMillis() / 1000.0;
  }
}
