package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.MotoTest;
import thebacknd.testing.TestEnv;

/**
 * A lease from claim to release, through the API, read back from moto: every destroy frees its
 * name; a VM gone on its own or a launch that never came frees it the next time a create looks; a
 * lease whose VM may still be on its way, or a live VM without a lease, keeps it.
 */
class LeaseLifecycleTest extends MotoTest {

  @Test
  void aCreateLeasesItsNameAndRecordsItsInstance() {
    JsonNode vm = createdVm("{}");
    Map<String, String> item = LeasesTable.byName().get("thebacknd-1");
    assertEquals(
        Map.of("thebacknd-1", Map.of("name", "thebacknd-1", "vm_id", vm.path("vm_id").asText(),
            "instance_id", vm.path("instance_id").asText(), "claimed_at", item.get("claimed_at"),
            "expires_at", vm.path("expires_at").asText(),
            // The timeline's stamps (requested, launched), as the VM's JSON shows them.
            "at_requested", vm.path("timeline").path("requested").asText(), "at_launched", vm.path("timeline").path("launched").asText())),
        LeasesTable.byName());
    assertTrue(item.get("at_requested").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), item.toString());
    Instant claimedAt = Instant.parse(LeasesTable.byName().get("thebacknd-1").get("claimed_at"));
    assertFalse(claimedAt.isAfter(Instant.now()));
  }

  @Test
  void everyDestroyReleasesTheNamesItFrees() {
    JsonNode one = createdVm("{}");
    createdVm("{}");
    createdVm("{}");
    JsonNode four = createdVm("{}");
    assertEquals(200, call(Route.DESTROY, json(Map.of("name", "thebacknd-2"))).status());
    assertEquals(Set.of("thebacknd-1", "thebacknd-3", "thebacknd-4"), LeasesTable.byName().keySet());

    String vmId = one.path("vm_id").asText();
    String code = new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
    assertEquals(200, call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code))).status());
    assertEquals(Set.of("thebacknd-3", "thebacknd-4"), LeasesTable.byName().keySet());

    String id = four.path("instance_id").asText();
    ec2.ec2().createTags(r -> r.resources(id).tags(t -> t.key(VmTags.EXPIRES_AT).value(Instant.now().minusSeconds(1).toString())));
    assertEquals(200, call(Route.DESTROY_OLD, "{}").status());
    assertEquals(Set.of("thebacknd-3"), LeasesTable.byName().keySet());

    assertEquals(200, call(Route.DESTROY_ALL, "{\"dry_run\": true}").status());
    assertEquals(Set.of("thebacknd-3"), LeasesTable.byName().keySet(), "a dry run releases nothing");
    assertEquals(200, call(Route.DESTROY_ALL, "{}").status());
    assertEquals(Map.of(), LeasesTable.byName());
  }

  @Test
  void aVmGoneOnItsOwnFreesItsNameForTheNextCreate() {
    JsonNode first = createdVm("{}");
    createdVm("{}");
    // Powered off (or spot-reclaimed): terminated without any destroy, its lease still there.
    ec2.ec2().terminateInstances(r -> r.instanceIds(first.path("instance_id").asText()));
    JsonNode next = createdVm("{}");
    assertEquals("thebacknd-1", next.path("name").asText());
    assertEquals(next.path("vm_id").asText(), LeasesTable.byName().get("thebacknd-1").get("vm_id"));
    FleetCheck.assertNoOrphans();
  }

  @Test
  void aLaunchThatNeverCameFreesItsNameAfterTheGraceOnly() {
    lease(1, UUID.randomUUID().toString(), Instant.now().minus(Slots.LAUNCH_GRACE).minusSeconds(5), null);
    lease(2, UUID.randomUUID().toString(), Instant.now().minusSeconds(10), null);
    lease(3, UUID.randomUUID().toString(), Instant.now().minusSeconds(10), "i-0123456789abcdef0");
    assertEquals("thebacknd-1", createdVm("{}").path("name").asText(), "older than the grace: reclaimed");
    assertEquals("thebacknd-4", createdVm("{}").path("name").asText(), "2 and 3 may still show up");
  }

  @Test
  void aLiveVmWithoutALeaseKeepsItsNameAndCountsAgainstTheCap() {
    env.put("THEBACKND_MAX_VMS", "2");
    ec2.launchOurs(1, Instant.now().plusSeconds(600)); // launched before leases existed
    assertEquals("thebacknd-2", createdVm("{}").path("name").asText());
    ApiResponse third = call(Route.CREATE, "{}");
    assertEquals(429, third.status(), third.bodyText());
    assertEquals("cap_reached", third.body().path("error").path("code").asText());
  }

  private static void lease(int n, String vmId, Instant claimedAt, String instanceId) {
    Map<String, String> item = new java.util.HashMap<>(Map.of("name", "thebacknd-" + n, "vm_id", vmId, "claimed_at", claimedAt.toString()));
    if (instanceId != null) {
      item.put("instance_id", instanceId);
    }
    LeasesTable.put(item);
  }
}
