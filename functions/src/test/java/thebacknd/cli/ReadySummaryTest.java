package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** run --wait's summary line, from VM JSON as list gives it (timeline, ready_s, from_pool, timings). */
class ReadySummaryTest {

  private static JsonValue vm(String fields) {
    return JsonParser.parse("{\"name\": \"thebacknd-1\", " + fields + "}");
  }

  @Test
  void aColdVmWithEveryPartMeasured() {
    JsonValue vm = vm("""
        "timeline": {"requested": "2026-12-06T21:00:00.000Z", "launched": "2026-12-06T21:00:01.100Z",
          "booting": "2026-12-06T21:00:20.000Z", "running": "2026-12-06T21:00:41.200Z"},
        "ready_s": 41.2, "from_pool": false,
        "timings": {"boot_s": 22.0, "fetch_s": 9.3, "fetched_paths": 212, "fetched_bytes": 126248550, "switch_s": 8.8}""");
    assertEquals("thebacknd-1: ready in 41.2 s (launch 1.1 s, boot 22.0 s, fetch 9.3 s / 120.4 MiB, switch 8.8 s)",
        ReadySummary.line(vm));
  }

  @Test
  void aPooledVmSaysSoAndItsLaunchIsTheClaim() {
    JsonValue vm = vm("""
        "timeline": {"requested": "2026-12-06T21:00:00.000Z", "launched": "2026-12-06T20:10:00.000Z",
          "claimed": "2026-12-06T21:00:00.250Z", "pooled": "2026-12-06T20:10:30.000Z", "running": "2026-12-06T21:00:02.100Z"},
        "ready_s": 2.1, "from_pool": true,
        "timings": {"boot_s": 21.0, "fetch_s": 0.6, "fetched_paths": 3, "fetched_bytes": 1048576, "switch_s": 1.2}""");
    assertEquals("thebacknd-1: ready in 2.1 s from the pool (launch 0.3 s, boot 21.0 s, fetch 0.6 s / 1.0 MiB, switch 1.2 s)",
        ReadySummary.line(vm));
  }

  @Test
  void anUnknownPartIsLeftOut() {
    JsonValue noTimings = vm("""
        "timeline": {"requested": "2026-12-06T21:00:00.000Z", "launched": "2026-12-06T21:00:01.000Z", "running": "2026-12-06T21:00:30.000Z"},
        "ready_s": 30.0, "from_pool": false, "timings": null""");
    assertEquals("thebacknd-1: ready in 30.0 s (launch 1.0 s)", ReadySummary.line(noTimings));

    JsonValue noBytes = vm("""
        "timeline": {"requested": "2026-12-06T21:00:00.000Z"}, "ready_s": 12, "from_pool": false,
        "timings": {"boot_s": 5, "fetch_s": 2.25, "switch_s": 0}""");
    assertEquals("thebacknd-1: ready in 12.0 s (boot 5.0 s, fetch 2.3 s, switch 0.0 s)", ReadySummary.line(noBytes));

    JsonValue onlyReady = vm("\"ready_s\": 3.04");
    assertEquals("thebacknd-1: ready in 3.0 s", ReadySummary.line(onlyReady));
  }

  @Test
  void readyIsReadFromTheTimelineWhenReadySIsMissing() {
    JsonValue finished = vm("""
        "timeline": {"requested": "2026-12-06T21:00:00.000Z", "launched": "2026-12-06T21:00:00.500Z", "finished": "2026-12-06T21:00:04.500Z"}""");
    assertEquals("thebacknd-1: ready in 4.5 s (launch 0.5 s)", ReadySummary.line(finished));
  }

  @Test
  void nothingWhenTheTimeToReadyIsNotKnown() {
    assertNull(ReadySummary.line(vm("\"phase\": \"running\"")), "an API without timelines");
    assertNull(ReadySummary.line(vm("\"timeline\": {\"requested\": \"2026-12-06T21:00:00.000Z\"}, \"ready_s\": null")), "not ready yet");
    assertNull(ReadySummary.line(vm("\"timeline\": {\"requested\": \"yesterday\", \"running\": \"today\"}")), "stamps that are not times");
  }

  @Test
  void badNumbersAreLeftOutAndTheNameIsEscaped() {
    JsonValue vm = JsonParser.parse("""
        {"name": "evil\\u001b[31m", "ready_s": 5, "timings": {"boot_s": "x", "fetch_s": -1, "switch_s": 1}}""");
    assertEquals("evil\\x1b[31m: ready in 5.0 s (switch 1.0 s)", ReadySummary.line(vm));
  }
}
