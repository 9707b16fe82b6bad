package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.MotoTest;
import thebacknd.testing.TestEnv;

/**
 * What the API promises about the VMs whatever EC2 and the VMs do: names found through their
 * lease under DescribeInstances' lag, what a VM says kept as text, and a failed VM kept only for
 * THEBACKND_FAILED_KEEP_MINUTES. Against moto, through the Api the handlers use.
 */
class KeepsItsWordTest extends MotoTest {

  private static final Duration LAG = Duration.ofSeconds(6);

  // ------------------------------------------------------------------ names through the lease

  @Test
  void underDescribeInstancesLagANewVmIsListedPendingAndDestroyedByName() {
    try (FaultProxy proxy = FaultProxy.forMoto(18).hideNewInstancesFor(LAG)) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      Instant created = Instant.now();
      JsonNode vm = createdVm("{}");
      String instanceId = vm.path("instance_id").asText();

      ApiResponse list = call(Route.LIST, null);
      assertEquals(200, list.status(), list.bodyText());
      assertTrue(Duration.between(created, Instant.now()).compareTo(LAG) < 0, "still within the lag");
      JsonNode vms = list.body().path("vms");
      assertEquals(1, vms.size(), "the lease shows what EC2 does not yet: " + vms);
      JsonNode listed = vms.get(0);
      assertEquals("thebacknd-1", listed.path("name").asText());
      assertEquals(vm.path("vm_id").asText(), listed.path("vm_id").asText());
      assertEquals(instanceId, listed.path("instance_id").asText());
      assertEquals("pending", listed.path("state").asText());
      assertEquals(vm.path("expires_at").asText(), listed.path("expires_at").asText());
      assertFalse(listed.path("should_be_destroyed").asBoolean());

      ApiResponse destroyed = call(Route.DESTROY, json(Map.of("name", "thebacknd-1", "vm_id", vm.path("vm_id").asText())));
      assertEquals(200, destroyed.status(), destroyed.bodyText());
      assertTrue(Duration.between(created, Instant.now()).compareTo(LAG) < 0, "still within the lag");
      assertEquals(instanceId, destroyed.body().path("destroyed").get(0).path("instance_id").asText());
      assertEquals("terminated", ec2.state(instanceId), "moto itself, behind no proxy");
      assertEquals(Map.of(), LeasesTable.byName(), "the name is free again");
      assertEquals(0, call(Route.LIST, null).body().path("vms").size());
      assertEquals(404, call(Route.DESTROY, json(Map.of("name", "thebacknd-1"))).status());
    }
  }

  @Test
  void aLeaseWhoseVmIsSeenGoneStandsForNothing() {
    JsonNode vm = createdVm("{}");
    String instanceId = vm.path("instance_id").asText();
    // Gone on its own (powered off, spot reclaimed): nobody released its lease.
    ec2.ec2().terminateInstances(r -> r.instanceIds(instanceId));
    assertEquals(1, LeasesTable.items().size());
    assertEquals(0, listed().size());
    assertEquals(404, call(Route.DESTROY, json(Map.of("name", "thebacknd-1"))).status());
    assertEquals(404, call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 5))).status());
  }

  // ------------------------------------------------------------------ what a VM says is text

  @Test
  void controlCharactersAreStrippedFromDetailAndListKeepsWorking() {
    JsonNode vm = createdVm("{}");
    String vmId = vm.path("vm_id").asText();
    String detail = "switch \u001b]0;owned\u0007failed\u0000: unit \u001b[31mnginx\u001b[0m\r\n\u0085\ud800 died";
    ApiResponse reported = report(vmId, Map.of("phase", "failed", "detail", detail));
    assertEquals(200, reported.status(), reported.bodyText());

    ApiResponse list = call(Route.LIST, null);
    assertEquals(200, list.status(), list.bodyText());
    String shown = list.body().path("vms").get(0).path("phase_detail").asText();
    assertEquals("switch ]0;ownedfailed: unit [31mnginx[0m died", shown);
    assertEquals(shown, Ec2Fixture.tags(ec2.all().get(vm.path("instance_id").asText())).get(VmTags.PHASE_DETAIL));
    for (int i = 0; i < 3; i++) {
      assertEquals(200, call(Route.LIST, null).status(), "every list after it, too");
    }
  }

  // ------------------------------------------------------------------ a failed VM does not bill for hours

  @Test
  void aFailedReportMovesTheDeadlineToTheKeepAndDestroyOldTakesItWithReasonFailed() {
    env.put("THEBACKND_FAILED_KEEP_MINUTES", "20");
    JsonNode vm = createdVm(json(Map.of("ttl_minutes", 600)));
    String vmId = vm.path("vm_id").asText();
    String instanceId = vm.path("instance_id").asText();
    assertEquals(20, userData(instanceId).path("failed_keep_minutes").asInt());

    Instant before = Instant.now().minusSeconds(1);
    assertEquals(200, report(vmId, Map.of("phase", "failed", "detail", "no such program")).status());
    Map<String, String> tags = Ec2Fixture.tags(ec2.all().get(instanceId));
    Instant deadline = Instant.parse(tags.get(VmTags.EXPIRES_AT));
    assertTrue(!deadline.isBefore(before.plus(Duration.ofMinutes(20)).minusSeconds(1))
        && !deadline.isAfter(Instant.now().plus(Duration.ofMinutes(20))), deadline.toString());
    Instant failedAt = Instant.parse(tags.get(VmTags.FAILED_AT));
    assertTrue(!failedAt.isBefore(before.minusSeconds(1)) && !failedAt.isAfter(Instant.now()), failedAt.toString());
    assertEquals(200, report(vmId, Map.of("phase", "failed", "detail", "no such program")).status(), "the agent's retry");
    Map<String, String> retried = Ec2Fixture.tags(ec2.all().get(instanceId));
    assertEquals(tags.get(VmTags.FAILED_AT), retried.get(VmTags.FAILED_AT), "a retry moves nothing");
    assertEquals(deadline.toString(), retried.get(VmTags.EXPIRES_AT), "never later than it was");
    JsonNode listed = listed().get(0);
    assertEquals(deadline.toString(), listed.path("expires_at").asText());
    assertFalse(listed.path("should_be_destroyed").asBoolean(), "kept for its 20 minutes");

    // extend keeps it longer, as any VM
    assertEquals(200, call(Route.EXTEND, json(Map.of("name", "thebacknd-1", "ttl_minutes", 60))).status());
    assertFalse(listed().get(0).path("should_be_destroyed").asBoolean());

    // its keep has passed
    ec2.ec2().createTags(r -> r.resources(instanceId).tags(t -> t.key(VmTags.EXPIRES_AT).value(Instant.now().minusSeconds(1).toString())));
    assertEquals("failed", listed().get(0).path("destroy_reason").asText());
    ApiResponse old = call(Route.DESTROY_OLD, "{}");
    assertEquals(200, old.status(), old.bodyText());
    assertEquals("failed", old.body().path("destroyed").get(0).path("destroy_reason").asText());
    assertEquals("terminated", ec2.state(instanceId));
  }

  @Test
  void aFailedReportNeverLengthensTheDeadline() {
    JsonNode vm = createdVm(json(Map.of("ttl_minutes", 5)));
    assertEquals(15, userData(vm.path("instance_id").asText()).path("failed_keep_minutes").asInt(), "the default");
    assertEquals(200, report(vm.path("vm_id").asText(), Map.of("phase", "failed")).status());
    assertEquals(vm.path("expires_at").asText(), Ec2Fixture.tags(ec2.all().get(vm.path("instance_id").asText())).get(VmTags.EXPIRES_AT));
  }

  // ------------------------------------------------------------------ helpers

  private ApiResponse report(String vmId, Map<String, String> fields) {
    Map<String, Object> body = new java.util.HashMap<>(fields);
    body.put("vm_id", vmId);
    body.put("vm_killcode", new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId));
    return call(Route.REPORT, json(body));
  }

  private JsonNode userData(String instanceId) {
    String encoded = ec2.ec2().describeInstanceAttribute(r -> r.instanceId(instanceId).attribute("userData")).userData().value();
    return Json.parse(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
  }
}
