package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.MotoTest;

/**
 * {@code POST /extend} (DESIGN §9 "Lifetime"): the deadline becomes now + ttl_minutes, at most
 * launch + THEBACKND_MAX_TTL_MINUTES; read back from the instance's tag in moto, which is what the
 * VM's agent reads from its instance metadata.
 */
class ExtendTest extends MotoTest {

  @Test
  void theDeadlineBecomesNowPlusTheTtlOnTheInstancesTag() {
    JsonNode created = createdVm(json(Map.of("ttl_minutes", 10)));
    Instant before = Instant.now();
    ApiResponse extended = call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 120)));
    assertEquals(200, extended.status(), extended.bodyText());
    JsonNode vm = extended.body().path("vm");
    Instant deadline = Instant.parse(vm.path("expires_at").asText());
    assertTrue(!deadline.isBefore(before.plus(Duration.ofMinutes(120)).minusSeconds(1))
        && !deadline.isAfter(Instant.now().plus(Duration.ofMinutes(120))), deadline.toString());
    assertEquals(created.path("vm_id").asText(), vm.path("vm_id").asText());
    assertFalse(vm.path("should_be_destroyed").asBoolean());
    assertEquals(vm.path("expires_at").asText(), tag(created, VmTags.EXPIRES_AT), "the tag the agent reads");
    assertEquals(vm.path("expires_at").asText(), listed().get(0).path("expires_at").asText());

    // Shorter works too: the deadline is now + ttl either way.
    JsonNode shorter = call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 5))).body().path("vm");
    assertTrue(Instant.parse(shorter.path("expires_at").asText()).isBefore(deadline));
  }

  @Test
  void aVmPastItsDeadlineIsNotExtended409VmExpiredAndDestroyOldTakesIt() {
    JsonNode created = createdVm("{}");
    String id = created.path("instance_id").asText();
    String past = Instant.now().minusSeconds(5).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    ec2.ec2().createTags(r -> r.resources(id).tags(t -> t.key(VmTags.EXPIRES_AT).value(past)));
    assertTrue(listed().get(0).path("should_be_destroyed").asBoolean());
    ApiResponse late = call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 30)));
    assertEquals(409, late.status(), late.bodyText());
    assertEquals("vm_expired", late.body().path("error").path("code").asText());
    assertEquals(past, tag(created, VmTags.EXPIRES_AT), "the deadline stays");
    assertEquals(200, call(Route.DESTROY_OLD, "{}").status());
    assertEquals("terminated", ec2.state(id), "destroy-old takes it");
  }

  @Test
  void aVmIdThatIsNoLongerTheNamesIs409VmMismatchAndNothingChanges() {
    JsonNode first = createdVm("{}");
    String firstVmId = first.path("vm_id").asText();
    assertEquals(200, call(Route.DESTROY, json(Map.of("name", "thebacknd-1", "vm_id", firstVmId))).status());
    JsonNode second = createdVm("{}");
    assertEquals("thebacknd-1", second.path("name").asText(), "the name was given again");
    String deadline = tag(second, VmTags.EXPIRES_AT);

    ApiResponse extend = call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 30, "vm_id", firstVmId)));
    assertEquals(409, extend.status(), extend.bodyText());
    assertEquals("vm_mismatch", extend.body().path("error").path("code").asText());
    assertEquals(deadline, tag(second, VmTags.EXPIRES_AT), "the new VM's deadline stays");
    ApiResponse destroy = call(Route.DESTROY, json(Map.of("name", "thebacknd-1", "vm_id", firstVmId)));
    assertEquals(409, destroy.status(), destroy.bodyText());
    assertEquals("vm_mismatch", destroy.body().path("error").path("code").asText());
    assertEquals("running", ec2.state(second.path("instance_id").asText()), "the new VM lives");

    String secondVmId = second.path("vm_id").asText();
    assertEquals(200, call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 30, "vm_id", secondVmId))).status());
    assertEquals(200, call(Route.DESTROY, json(Map.of("name", "thebacknd-1", "vm_id", secondVmId))).status());
    assertEquals("terminated", ec2.state(second.path("instance_id").asText()));
    ApiResponse gone = call(Route.DESTROY, json(Map.of("name", "thebacknd-1")));
    assertEquals(404, gone.status(), "a name whose VM is gone stands for nothing: " + gone.bodyText());
  }

  @Test
  void beyondLaunchPlusTheMaxTtlIs400AndTheTagStays() {
    env.put("THEBACKND_MAX_TTL_MINUTES", "90");
    JsonNode created = createdVm(json(Map.of("ttl_minutes", 30)));
    String tagBefore = tag(created, VmTags.EXPIRES_AT);
    ApiResponse refused = call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 91)));
    assertEquals(400, refused.status(), refused.bodyText());
    assertEquals("ttl_out_of_range", refused.body().path("error").path("code").asText());
    String message = refused.body().path("error").path("message").asText();
    assertTrue(message.startsWith("thebacknd-1 may live until ") && message.contains("(its launch + 90 minutes)")
        && message.endsWith("got 91."), message);
    assertEquals(tagBefore, tag(created, VmTags.EXPIRES_AT));
    assertEquals(200, call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 89))).status(), "within: fine");
  }

  @Test
  void anUnknownNameIs404AndAnInstanceWithoutOurTagIsNeverTouched() {
    String foreign = ec2.launch(Map.of("Name", "thebacknd-1", VmTags.EXPIRES_AT, "2030-01-01T00:00:00Z"));
    ApiResponse unknown = call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 30)));
    assertEquals(404, unknown.status(), unknown.bodyText());
    assertEquals("vm_not_found", unknown.body().path("error").path("code").asText());
    assertEquals("2030-01-01T00:00:00Z", Ec2Fixture.tags(ec2.all().get(foreign)).get(VmTags.EXPIRES_AT));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"name\": \"thebacknd-1\"}|missing_field",
        "{\"ttl_minutes\": 30}|missing_field",
        "{\"name\": \"thebacknd-1\", \"ttl_minutes\": \"30\"}|wrong_type",
        "{\"name\": \"thebacknd-1\", \"ttl_minutes\": 1.5}|wrong_type",
        "{\"name\": 1, \"ttl_minutes\": 30}|wrong_type",
        "{\"name\": \"thebacknd-1\", \"ttl_minutes\": 0}|ttl_out_of_range",
        "{\"name\": \"thebacknd-1\", \"ttl_minutes\": -5}|ttl_out_of_range",
        "{\"name\": \"thebacknd-1\", \"ttl_minutes\": 30, \"expires_at\": \"2030-01-01T00:00:00Z\"}|unknown_field",
      })
  void badBodiesAre400AndChangeNothing(String body, String code) {
    JsonNode created = createdVm("{}");
    String tagBefore = tag(created, VmTags.EXPIRES_AT);
    ApiResponse refused = call(Route.EXTEND, body);
    assertEquals(400, refused.status(), refused.bodyText());
    assertEquals(code, refused.body().path("error").path("code").asText());
    assertEquals(tagBefore, tag(created, VmTags.EXPIRES_AT));
  }

  @Test
  void onlyPost() {
    ApiResponse get = api().handle(new thebacknd.edge.ApiRequest("GET", "/extend", Map.of(), null));
    assertEquals(405, get.status());
    assertEquals("POST", get.headers().get("Allow"));
  }

  private String tag(JsonNode vm, String key) {
    return Ec2Fixture.tags(ec2.all().get(vm.path("instance_id").asText())).get(key);
  }
}
