package thebacknd.vm;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A VM's timeline: when the API received its create ({@code requested}), launched or claimed it,
 * and first got each phase report, on the API's own clock, ISO-8601 UTC to the millisecond. Kept
 * on the VM's lease (strongly consistent, one item per VM, already read by {@code list}); each
 * stamp is written the first time only.
 */
public final class Timeline {

  public static final String REQUESTED = "requested";
  public static final String LAUNCHED = "launched";
  public static final String CLAIMED = "claimed";

  /** Every stamp, in the order a VM goes through them. */
  public static final List<String> KEYS =
      List.of(REQUESTED, LAUNCHED, CLAIMED, "pooled", "booting", "fetching", "switching", "running", "finished", "failed");

  private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Timeline() {}

  /** {@code at} as a timeline shows it: {@code 2026-12-06T21:00:00.123Z}. */
  public static String stamp(Instant at) {
    return MILLIS.format(at);
  }

  /** Whether a phase report is stamped on the timeline (the later phases are not about readiness). */
  static boolean stamps(Phase phase) {
    return KEYS.contains(phase.wire());
  }

  /** The stamps of {@code first}, overridden by those of {@code second}, in {@link #KEYS} order. */
  static Map<String, String> merged(Map<String, String> first, Map<String, String> second) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : KEYS) {
      String value = second.containsKey(key) ? second.get(key) : first.get(key);
      if (value != null) {
        out.put(key, value);
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Seconds from {@code requested} to {@code running} (to {@code finished} for a program that
   * ended before any {@code running} report was seen); null until then or when unknown.
   */
  static Double readySeconds(Map<String, String> timeline) {
    Optional<Instant> requested = at(timeline, REQUESTED);
    Optional<Instant> ready = at(timeline, "running").or(() -> at(timeline, "finished"));
    if (requested.isEmpty() || ready.isEmpty()) {
      return null;
    }
    return Math.max(0, Duration.between(requested.get(), ready.get()).toMillis()) / 1000.0;
  }

  static Optional<Instant> at(Map<String, String> timeline, String key) {
    String value = timeline.get(key);
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(value));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
