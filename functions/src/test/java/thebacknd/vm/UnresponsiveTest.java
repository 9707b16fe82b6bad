package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.MotoTest;
import thebacknd.testing.TestEnv;

/**
 * A VM whose agent never reported past booting within THEBACKND_BOOT_TIMEOUT_MINUTES is
 * unresponsive (DESIGN §3, §5, §9): list says so and why, destroy-old terminates it, and a VM that
 * reports is kept. Moto launches instances now, so the timeout is 0 here (any silent VM is past it),
 * or the default 15 minutes for VMs that must not be touched.
 */
class UnresponsiveTest extends MotoTest {

  @Test
  void destroyOldReapsTheSilentAndTheStuckVmsAndKeepsTheRunningOne() {
    env.put("THEBACKND_BOOT_TIMEOUT_MINUTES", "0");
    JsonNode silent = createdVm("{}");
    JsonNode stuck = createdVm("{}");
    JsonNode running = createdVm("{}");
    JsonNode fetching = createdVm("{}");
    report(stuck, "booting");
    report(running, "running");
    report(fetching, "fetching");

    Map<String, JsonNode> byName = byName(listed());
    for (JsonNode vm : List.of(silent, stuck)) {
      JsonNode listed = byName.get(vm.path("name").asText());
      assertTrue(listed.path("should_be_destroyed").asBoolean(), listed.toString());
      assertEquals("unresponsive", listed.path("destroy_reason").asText());
      assertEquals("unresponsive", listed.path("phase").asText(), "the API shows it so (DESIGN §5)");
    }
    // Reported fetching but never running, finished or failed (DESIGN §3): stuck; its phase stays.
    JsonNode listedFetching = byName.get(fetching.path("name").asText());
    assertTrue(listedFetching.path("should_be_destroyed").asBoolean(), listedFetching.toString());
    assertEquals("unresponsive", listedFetching.path("destroy_reason").asText());
    assertEquals("fetching", listedFetching.path("phase").asText());
    JsonNode listedRunning = byName.get(running.path("name").asText());
    assertFalse(listedRunning.path("should_be_destroyed").asBoolean(), listedRunning.toString());
    assertTrue(listedRunning.path("destroy_reason").isNull());

    Set<String> reaped = Set.of("thebacknd-1", "thebacknd-2", "thebacknd-4");
    ApiResponse dry = call(Route.DESTROY_OLD, "{\"dry_run\": true}");
    assertEquals(reaped, names(dry.body().path("destroyed")));
    ApiResponse old = call(Route.DESTROY_OLD, "{}");
    assertEquals(200, old.status(), old.bodyText());
    assertEquals(reaped, names(old.body().path("destroyed")));
    FleetCheck.assertLiveAreExactly(List.of(running.path("instance_id").asText()));
    FleetCheck.assertNoOrphans();
  }

  @Test
  void withinTheBootTimeoutASilentVmIsLeftAloneAndAnExpiredOneSaysExpired() {
    JsonNode fresh = createdVm("{}");
    JsonNode old = createdVm("{}");
    String id = old.path("instance_id").asText();
    ec2.ec2().createTags(r -> r.resources(id).tags(t -> t.key(VmTags.EXPIRES_AT).value(Instant.now().minusSeconds(1).toString())));
    Map<String, JsonNode> byName = byName(listed());
    JsonNode listedFresh = byName.get(fresh.path("name").asText());
    assertFalse(listedFresh.path("should_be_destroyed").asBoolean());
    assertTrue(listedFresh.path("phase").isNull(), "no report yet, within the 15 minutes");
    assertEquals("expired", byName.get(old.path("name").asText()).path("destroy_reason").asText());

    env.put("THEBACKND_BOOT_TIMEOUT_MINUTES", "0");
    assertEquals("expired", byName(listed()).get(old.path("name").asText()).path("destroy_reason").asText(), "expired wins");
  }

  private void report(JsonNode vm, String phase) {
    String vmId = vm.path("vm_id").asText();
    String code = new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
    ApiResponse reported = call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code, "phase", phase)));
    assertEquals(200, reported.status(), reported.bodyText());
  }

  private static Map<String, JsonNode> byName(JsonNode vms) {
    return StreamSupport.stream(vms.spliterator(), false).collect(Collectors.toMap(v -> v.path("name").asText(), v -> v));
  }

  private static Set<String> names(JsonNode vms) {
    return byName(vms).keySet();
  }
}
