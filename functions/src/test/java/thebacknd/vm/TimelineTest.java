package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.MotoTest;
import thebacknd.testing.TestEnv;

/**
 * The timeline (DESIGN §11) through the API, read back from moto: create stamps requested and
 * launched, each phase's first report its own stamp (a retried report moves nothing), to the
 * millisecond, on the lease; timings are kept from the report that carries them; every VM JSON
 * (create, list, extend, destroy) carries timeline, ready_s, from_pool and timings; a report's
 * timings are strictly checked and a bad one changes nothing.
 */
class TimelineTest extends MotoTest {

  private static final String MILLIS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
  private static final Map<String, Object> TIMINGS =
      Map.of("boot_s", 12.5, "fetch_s", 3.25, "fetched_paths", 120, "fetched_bytes", 126_248_550, "switch_s", 0);

  @Test
  void everyStampIsWrittenOnceToTheMillisecondAndShownEverywhere() throws Exception {
    Instant before = Instant.now();
    JsonNode vm = createdVm("{}");
    JsonNode timeline = vm.path("timeline");
    assertTrue(timeline.path("requested").asText().matches(MILLIS), timeline.toString());
    assertTrue(timeline.path("launched").asText().matches(MILLIS), timeline.toString());
    Instant requested = Instant.parse(timeline.path("requested").asText());
    assertFalse(requested.isBefore(before.minusMillis(1)), "stamped by the API's clock when the create came");
    assertFalse(Instant.parse(timeline.path("launched").asText()).isBefore(requested));
    assertTrue(vm.path("ready_s").isNull());
    assertFalse(vm.path("from_pool").asBoolean(true));
    assertTrue(vm.path("timings").isNull());

    assertEquals(200, report(vm, "booting", null).status());
    Thread.sleep(5);
    assertEquals(200, report(vm, "fetching", null).status());
    String fetching = LeasesTable.byName().get("thebacknd-1").get("at_fetching");
    Thread.sleep(5);
    assertEquals(200, report(vm, "fetching", null).status(), "a retried report");
    assertEquals(fetching, LeasesTable.byName().get("thebacknd-1").get("at_fetching"), "first time only");
    assertEquals(200, report(vm, "switching", null).status());
    assertEquals(200, report(vm, "running", TIMINGS).status());

    JsonNode listed = listed().get(0);
    JsonNode stamps = listed.path("timeline");
    assertEquals(List.of("requested", "launched", "booting", "fetching", "switching", "running"), names(stamps), "in order");
    stamps.forEach(at -> assertTrue(at.asText().matches(MILLIS), stamps.toString()));
    assertEquals(fetching, stamps.path("fetching").asText());
    double ready = Duration.between(Instant.parse(stamps.path("requested").asText()), Instant.parse(stamps.path("running").asText())).toMillis() / 1000.0;
    assertEquals(ready, listed.path("ready_s").asDouble(), 1e-9);
    assertTimings(listed.path("timings"));
    assertEquals(126_248_550L, listed.path("timings").path("fetched_bytes").longValue(), "counts stay whole numbers");

    JsonNode extended = call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 30))).body().path("vm");
    assertEquals(stamps, extended.path("timeline"));
    assertTimings(extended.path("timings"));
    JsonNode destroyed = call(Route.DESTROY_ALL, "{\"dry_run\": true}").body().path("destroyed").get(0);
    assertEquals(stamps, destroyed.path("timeline"));
    assertEquals(ready, destroyed.path("ready_s").asDouble(), 1e-9);
  }

  @Test
  void aProgramThatFinishedBeforeAnyRunningReportIsReadyAtFinished() {
    JsonNode vm = createdVm("{}");
    assertEquals(200, report(vm, "finished", TIMINGS, 0).status());
    JsonNode listed = listed().get(0);
    Instant requested = Instant.parse(listed.path("timeline").path("requested").asText());
    Instant finished = Instant.parse(listed.path("timeline").path("finished").asText());
    assertEquals(Duration.between(requested, finished).toMillis() / 1000.0, listed.path("ready_s").asDouble(), 1e-9);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"boot_s\": 1, \"fetch_s\": 1, \"fetched_paths\": 1, \"fetched_bytes\": 1, \"switch_s\": 1, \"extra\": 1}",
      "{\"boot_s\": 1, \"fetch_s\": 1, \"fetched_paths\": 1, \"fetched_bytes\": 1}",
      "{\"boot_s\": -0.5, \"fetch_s\": 1, \"fetched_paths\": 1, \"fetched_bytes\": 1, \"switch_s\": 1}",
      "{\"boot_s\": \"1\", \"fetch_s\": 1, \"fetched_paths\": 1, \"fetched_bytes\": 1, \"switch_s\": 1}",
      "{\"boot_s\": null, \"fetch_s\": 1, \"fetched_paths\": 1, \"fetched_bytes\": 1, \"switch_s\": 1}",
      "[1, 2, 3, 4, 5]",
      "12"})
  void badTimingsAre400AndChangeNothing(String timings) {
    JsonNode vm = createdVm("{}");
    Map<String, String> leaseBefore = LeasesTable.byName().get("thebacknd-1");
    String vmId = vm.path("vm_id").asText();
    String body = "{\"vm_id\": \"" + vmId + "\", \"vm_killcode\": \"" + code(vmId) + "\", \"phase\": \"running\", \"timings\": " + timings + "}";
    ApiResponse answer = call(Route.REPORT, body);
    assertEquals(400, answer.status(), answer.bodyText());
    assertEquals("invalid_timings", answer.body().path("error").path("code").asText());
    assertFalse(answer.body().path("error").path("message").asText().contains("\n"));
    assertEquals(leaseBefore, LeasesTable.byName().get("thebacknd-1"), "nothing stamped");
    Map<String, String> tags = Ec2Fixture.tags(ec2.all().get(vm.path("instance_id").asText()));
    assertFalse(tags.containsKey(VmTags.PHASE), "nothing tagged: " + tags);
  }

  @Test
  void aReportOfAVmWhoseLeaseIsGoneStillTagsIt() {
    JsonNode vm = createdVm("{}");
    Moto_deleteLease();
    assertEquals(200, report(vm, "running", TIMINGS).status());
    assertEquals("running", Ec2Fixture.tags(ec2.all().get(vm.path("instance_id").asText())).get(VmTags.PHASE));
    assertTrue(LeasesTable.items().isEmpty(), "no lease made up: " + LeasesTable.items());
  }

  private static void Moto_deleteLease() {
    thebacknd.testing.Moto.clients().dynamoDb().deleteItem(r -> r.tableName(LeasesTable.NAME)
        .key(Map.of("name", software.amazon.awssdk.services.dynamodb.model.AttributeValue.builder().s("thebacknd-1").build())));
  }

  private ApiResponse report(JsonNode vm, String phase, Map<String, Object> timings) {
    return report(vm, phase, timings, null);
  }

  private ApiResponse report(JsonNode vm, String phase, Map<String, Object> timings, Integer exitCode) {
    String vmId = vm.path("vm_id").asText();
    Map<String, Object> body = new HashMap<>(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", phase));
    if (timings != null) {
      body.put("timings", timings);
    }
    if (exitCode != null) {
      body.put("exit_code", exitCode);
    }
    return call(Route.REPORT, json(body));
  }

  private static void assertTimings(JsonNode timings) {
    assertEquals(Timings.KEYS, names(timings), timings.toString());
    TIMINGS.forEach((key, value) -> assertEquals(((Number) value).doubleValue(), timings.path(key).doubleValue(), 0, key));
  }

  private static String code(String vmId) {
    return new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new java.util.ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
