package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.Instance;
import thebacknd.Json;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.MotoTest;
import thebacknd.testing.Parallel;
import thebacknd.testing.TestEnv;

/**
 * The warm pool (DESIGN §11) through the API against moto: top-ups launch exactly the shortfall,
 * tagged and with a pool user-data; a create claims a ready pooled VM (its assignment read back
 * through /claim), re-tags it and starts its replacement; two racing creates never get the same
 * VM; at the cap a cold create evicts an unclaimed pooled VM and nothing goes past the cap; idle
 * and silent pooled VMs go with destroy-old; under 30 and 50 % faults the pool stays within its size and
 * nothing is orphaned.
 */
class WarmPoolTest extends MotoTest {

  private static final String TOPLEVEL = "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05";

  @Test
  void aTopUpLaunchesTheShortfallAsPooledVmsAndNoMore() {
    env.put("THEBACKND_POOL", "t3.micro=2");
    env.put("THEBACKND_POOL_IDLE_MINUTES", "30");
    Instant before = Instant.now();
    ApiResponse filled = call(Route.POOL, "{}");
    assertEquals(200, filled.status(), filled.bodyText());
    assertEquals(2, filled.body().path("launched").size());
    assertFalse(filled.body().path("dry_run").asBoolean());
    assertEquals(Json.parse("{\"t3.micro\": 2}"), filled.body().path("configured"));
    for (JsonNode vm : filled.body().path("launched")) {
      assertTrue(vm.path("owner").isNull(), vm.toString());
      assertTrue(vm.path("nix_toplevel").isNull());
      Instant idle = Instant.parse(vm.path("expires_at").asText());
      assertTrue(!idle.isBefore(before.plus(Duration.ofMinutes(30)).minusSeconds(1)) && idle.isBefore(Instant.now().plus(Duration.ofMinutes(31))), idle.toString());
      Instance instance = ec2.all().get(vm.path("instance_id").asText());
      assertEquals("t3.micro", Ec2Fixture.tags(instance).get(VmTags.POOL));
      assertFalse(Ec2Fixture.tags(instance).containsKey(VmTags.OWNER));
      JsonNode userData = userData(instance.instanceId());
      assertTrue(userData.path("pool").asBoolean(), userData.toString());
      assertTrue(userData.path("nix_toplevel").isNull() && userData.path("nix_binary").isNull() && userData.path("nix_args").isNull());
      assertEquals(vm.path("expires_at").asText(), userData.path("expires_at").asText());
      assertEquals("t3.micro", LeasesTable.byName().get(vm.path("name").asText()).get("pool"));
    }
    ApiResponse again = call(Route.POOL, "{}");
    assertEquals(0, again.body().path("launched").size(), again.bodyText());
    JsonNode dry = call(Route.POOL, "{\"dry_run\": true}").body();
    assertTrue(dry.path("dry_run").asBoolean());
    assertEquals(0, dry.path("ready").asInt());
    assertEquals(2, dry.path("starting").asInt());
    assertEquals(2, listed().size());
    FleetCheck.assertNoOrphans();
    assertFalse(LeasesTable.byName().containsKey("pool-top-up"), "the top-up lock is released");

    ApiResponse all = call(Route.DESTROY_ALL, "{}");
    assertEquals(2, all.body().path("destroyed").size(), all.bodyText());
    FleetCheck.assertLiveAreExactly(List.of());
    assertEquals(Map.of(), LeasesTable.byName(), "their slots are free");
  }

  @Test
  void aCreateClaimsAReadyPooledVmAndItsAgentReadsTheAssignment() throws Exception {
    env.put("THEBACKND_POOL", "t3.micro=1");
    JsonNode pooled = call(Route.POOL, "{}").body().path("launched").get(0);
    String vmId = pooled.path("vm_id").asText();
    assertEquals(Json.parse("{\"vm_id\": \"" + vmId + "\", \"assignment\": null}"), claim(vmId).body());
    long coldStarted = System.nanoTime();
    JsonNode cold = createdVm(json(Map.of("nix_toplevel", TOPLEVEL)));
    long coldMs = (System.nanoTime() - coldStarted) / 1_000_000;
    assertFalse(cold.path("from_pool").asBoolean(), "a pooled VM that has not reported pooled is not ready");
    assertEquals(200, report(vmId, "pooled").status());
    JsonNode pooledListed = byVmId(listed()).get(vmId);
    assertEquals("pooled", pooledListed.path("phase").asText());
    assertTrue(pooledListed.path("owner").isNull());

    Instant before = Instant.now();
    long pooledStarted = System.nanoTime();
    JsonNode vm = createdVm(json(Map.of("nix_toplevel", TOPLEVEL, "ttl_minutes", 45)));
    System.out.printf("create on moto: cold %d ms, from the pool %d ms (its replacement's launch included)%n",
        coldMs, (System.nanoTime() - pooledStarted) / 1_000_000);
    assertTrue(vm.path("from_pool").asBoolean(), vm.toString());
    assertEquals(vmId, vm.path("vm_id").asText());
    assertEquals(pooled.path("instance_id").asText(), vm.path("instance_id").asText());
    assertEquals(TOPLEVEL, vm.path("nix_toplevel").asText());
    Instant deadline = Instant.parse(vm.path("expires_at").asText());
    assertTrue(!deadline.isBefore(before.plus(Duration.ofMinutes(45)).minusSeconds(1)), "now + TTL from the claim: " + deadline);
    JsonNode timeline = vm.path("timeline");
    for (String stamp : List.of("requested", "launched", "claimed", "pooled")) {
      assertTrue(timeline.has(stamp), timeline.toString());
    }
    assertFalse(Instant.parse(timeline.path("claimed").asText()).isBefore(Instant.parse(timeline.path("requested").asText())));

    ApiResponse claimed = claim(vmId);
    assertEquals(200, claimed.status());
    JsonNode assignment = claimed.body().path("assignment");
    assertEquals(Set.of("name", "nix_toplevel", "nix_binary", "nix_args", "expires_at", "nix_flake", "nix_packages"), fieldNames(assignment));
    assertEquals(vm.path("name").asText(), assignment.path("name").asText());
    assertEquals(TOPLEVEL, assignment.path("nix_toplevel").asText());
    assertTrue(assignment.path("nix_binary").isNull() && assignment.path("nix_flake").isNull());
    assertEquals(deadline, Instant.parse(assignment.path("expires_at").asText()));

    Map<String, String> tags = Ec2Fixture.tags(ec2.all().get(vm.path("instance_id").asText()));
    assertEquals(TOPLEVEL, tags.get(VmTags.TOPLEVEL));
    assertEquals(deadline.toString(), tags.get(VmTags.EXPIRES_AT));
    assertEquals(VmTags.POOL_CLAIMED, tags.get(VmTags.POOL));
    assertTrue(tags.containsKey(VmTags.CLAIMED_AT));
    assertFalse(LeasesTable.byName().get(vm.path("name").asText()).containsKey("pool"), "out of the pool");

    // The replacement was launched before create answered: the pool is full again.
    JsonNode dry = call(Route.POOL, "{\"dry_run\": true}").body();
    assertEquals(1, dry.path("starting").asInt() + dry.path("ready").asInt(), dry.toString());
    assertEquals(3, listed().size(), "the cold VM, the claimed one, its replacement");
    FleetCheck.assertNoOrphans();

    // Running, then listed as any VM: its owner, from_pool, its boot timeout from the claim.
    assertEquals(200, report(vmId, "fetching").status());
    assertEquals(200, report(vmId, "running").status());
    JsonNode running = byVmId(listed()).get(vmId);
    assertTrue(running.path("from_pool").asBoolean());
    assertTrue(running.path("ready_s").isNumber(), running.toString());
    assertEquals("running", running.path("phase").asText());
  }

  @Test
  void aClaimedPooledVmBuildsOnTheVmAsAColdOneWould() {
    env.put("THEBACKND_POOL", "t3.micro=2");
    env.put("THEBACKND_ALLOW_VM_BUILDS", "true");
    JsonNode launched = call(Route.POOL, "{}").body().path("launched");
    for (JsonNode pooled : launched) {
      assertEquals(200, report(pooled.path("vm_id").asText(), "pooled").status());
    }
    String flake = "github:owner/repo#packages.x86_64-linux.greet";

    JsonNode built = createdVm(json(Map.of("nix_flake", flake, "args", List.of("world"))));
    assertTrue(built.path("from_pool").asBoolean(), built.toString());
    assertEquals(flake, built.path("nix_flake").textValue());
    JsonNode assignment = claim(built.path("vm_id").asText()).body().path("assignment");
    assertEquals(flake, assignment.path("nix_flake").textValue());
    assertEquals(Json.parse("[\"world\"]"), assignment.path("nix_args"));
    assertTrue(assignment.path("nix_toplevel").isNull() && assignment.path("nix_packages").isNull(), assignment.toString());
    Map<String, String> builtTags = Ec2Fixture.tags(ec2.all().get(built.path("instance_id").asText()));
    assertEquals(flake, builtTags.get(VmTags.FLAKE));
    assertFalse(builtTags.containsKey(VmTags.PACKAGES));

    JsonNode shell = createdVm(json(Map.of("nix_packages", List.of("hello", "python3Packages.numpy"), "args", List.of("hello"))));
    assertTrue(shell.path("from_pool").asBoolean(), shell.toString());
    assertEquals(Json.parse("[\"hello\", \"python3Packages.numpy\"]"), shell.path("nix_packages"));
    JsonNode shellAssignment = claim(shell.path("vm_id").asText()).body().path("assignment");
    assertEquals(Json.parse("[\"hello\", \"python3Packages.numpy\"]"), shellAssignment.path("nix_packages"));
    assertTrue(shellAssignment.path("nix_flake").isNull(), shellAssignment.toString());
    Map<String, String> shellTags = Ec2Fixture.tags(ec2.all().get(shell.path("instance_id").asText()));
    assertEquals("hello python3Packages.numpy", shellTags.get(VmTags.PACKAGES));
    assertFalse(shellTags.containsKey(VmTags.FLAKE));

    // As listed (from the tags), they say what they build.
    Map<String, JsonNode> listed = byVmId(listed());
    assertEquals(flake, listed.get(built.path("vm_id").asText()).path("nix_flake").textValue());
    assertEquals(shell.path("nix_packages"), listed.get(shell.path("vm_id").asText()).path("nix_packages"));
    FleetCheck.assertNoOrphans();
  }

  @Test
  void claimRefusesABadKillCodeAndSaysGoneOnceTheLeaseIs() {
    env.put("THEBACKND_POOL", "t3.micro=1");
    JsonNode pooled = call(Route.POOL, "{}").body().path("launched").get(0);
    String vmId = pooled.path("vm_id").asText();
    ApiResponse forged = call(Route.CLAIM, json(Map.of("vm_id", vmId, "vm_killcode", "00".repeat(32))));
    assertEquals(403, forged.status(), forged.bodyText());
    assertEquals(400, call(Route.CLAIM, json(Map.of("vm_id", vmId))).status());
    assertEquals(200, call(Route.DESTROY, json(Map.of("name", pooled.path("name").asText()))).status());
    ApiResponse gone = claim(vmId);
    assertEquals(410, gone.status(), gone.bodyText());
    assertEquals("vm_gone", gone.body().path("error").path("code").asText());
  }

  @Test
  void twoRacingCreatesNeverGetTheSamePooledVm() throws Exception {
    env.put("THEBACKND_POOL", "t3.micro=1");
    env.put("THEBACKND_MAX_VMS", "6");
    String vmId = call(Route.POOL, "{}").body().path("launched").get(0).path("vm_id").asText();
    assertEquals(200, report(vmId, "pooled").status());
    List<ApiResponse> answers = Parallel.run(2, 2, i -> {
      Api container = api();
      return () -> container.handle(Route.CREATE, "{}");
    });
    answers.forEach(a -> assertEquals(201, a.status(), a.bodyText()));
    List<JsonNode> vms = answers.stream().map(a -> a.body().path("vm")).toList();
    assertEquals(1, vms.stream().filter(vm -> vm.path("from_pool").asBoolean()).count(), vms.toString());
    assertEquals(2, vms.stream().map(vm -> vm.path("instance_id").asText()).distinct().count());
    assertEquals(2, vms.stream().map(vm -> vm.path("name").asText()).distinct().count());
    FleetCheck.assertNoOrphans();
    Map<String, Map<String, String>> leases = LeasesTable.byName();
    for (JsonNode vm : vms) {
      assertEquals(vm.path("vm_id").asText(), leases.get(vm.path("name").asText()).get("vm_id"));
    }
  }

  @Test
  void atTheCapAColdCreateEvictsAnUnclaimedPooledVmAndNothingGoesPastIt() {
    env.put("THEBACKND_POOL", "t3.micro=2");
    env.put("THEBACKND_MAX_VMS", "3");
    assertEquals(2, call(Route.POOL, "{}").body().path("launched").size());
    createdVm("{}");
    assertEquals(3, FleetCheck.live().size());
    assertEquals(0, call(Route.POOL, "{}").body().path("launched").size(), "the cap holds");
    JsonNode evicting = createdVm("{}");
    assertFalse(evicting.path("from_pool").asBoolean());
    assertEquals(3, FleetCheck.live().size(), "one pooled VM went for it");
    assertEquals(1, poolLeases().size());
    FleetCheck.assertNoOrphans();
    assertEquals(0, call(Route.POOL, "{}").body().path("launched").size(), "the cap still holds");
    createdVm("{}");
    assertEquals(0, poolLeases().size());
    ApiResponse full = call(Route.CREATE, "{}");
    assertEquals(429, full.status(), full.bodyText());
    assertEquals(3, FleetCheck.live().size());
    FleetCheck.assertNoOrphans();
  }

  @Test
  void destroyOldTakesIdlePooledVmsAndSilentOnesButNeverAWaitingOne() {
    env.put("THEBACKND_POOL", "t3.micro=3");
    env.put("THEBACKND_BOOT_TIMEOUT_MINUTES", "0");
    JsonNode launched = call(Route.POOL, "{}").body().path("launched");
    String waiting = launched.get(0).path("vm_id").asText();
    String idle = launched.get(1).path("vm_id").asText();
    String silent = launched.get(2).path("vm_id").asText();
    assertEquals(200, report(waiting, "pooled").status());
    assertEquals(200, report(idle, "pooled").status());
    String idleInstance = launched.get(1).path("instance_id").asText();
    ec2.ec2().createTags(r -> r.resources(idleInstance).tags(t -> t.key(VmTags.EXPIRES_AT).value(Instant.now().minusSeconds(1).toString())));
    Map<String, JsonNode> byVmId = byVmId(listed());
    assertFalse(byVmId.get(waiting).path("should_be_destroyed").asBoolean(), byVmId.get(waiting).toString());
    assertEquals("pooled", byVmId.get(waiting).path("phase").asText());
    assertEquals("expired", byVmId.get(idle).path("destroy_reason").asText());
    assertEquals("unresponsive", byVmId.get(silent).path("destroy_reason").asText());
    ApiResponse old = call(Route.DESTROY_OLD, "{}");
    assertEquals(Set.of(idle, silent), vmIds(old.body().path("destroyed")));
    FleetCheck.assertLiveAreExactly(List.of(launched.get(0).path("instance_id").asText()));

    // Claimed, its boot timeout counts from the claim: still "pooled" after it is unresponsive.
    JsonNode vm = createdVm("{}");
    assertEquals(waiting, vm.path("vm_id").asText());
    assertEquals("unresponsive", byVmId(listed()).get(waiting).path("destroy_reason").asText());
  }

  @ParameterizedTest(name = "{0} of calls failing")
  @ValueSource(doubles = {0.3, 0.5})
  void underFaultsThePoolStaysWithinItsSizeAndNothingIsOrphaned(double share) throws Exception {
    env.put("THEBACKND_POOL", "t3.micro=3,t3.micro:spot=1");
    env.put("THEBACKND_MAX_VMS", "6");
    try (FaultProxy proxy = FaultProxy.forMoto((long) (share * 100)).failEverywhere(share)) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      List<Integer> statuses = new ArrayList<>();
      for (int round = 0; round < 6; round++) {
        List<ApiResponse> answers = Parallel.run(2, 2, i -> {
          Api container = api();
          return () -> container.handle(Route.POOL, "{}");
        });
        for (ApiResponse answer : answers) {
          statuses.add(answer.status());
          assertTrue(answer.status() == 200 || answer.status() == 502 || answer.status() == 503 || answer.status() == 429,
              answer.status() + " " + answer.bodyText());
        }
        assertTrue(poolLeases().size() <= 4, "never more than configured: " + poolLeases());
        assertTrue(FleetCheck.live().size() <= 6, "never past the cap");
        FleetCheck.assertNoOrphans();
      }
      System.out.printf("pool top-ups under %.0f %% faults answered %s; %d faults injected%n", share * 100, statuses, proxy.faultCount());
    }
    env.put("AWS_ENDPOINT_URL", thebacknd.testing.Moto.endpoint().toString());
    call(Route.POOL, "{}");
    Map<String, Long> byKey = poolLeases().values().stream().collect(Collectors.groupingBy(l -> l.get("pool"), Collectors.counting()));
    assertTrue(byKey.getOrDefault("t3.micro", 0L) <= 3 && byKey.getOrDefault("t3.micro:spot", 0L) <= 1, byKey.toString());
    long pooledLive = FleetCheck.live().values().stream().filter(i -> Ec2Fixture.tags(i).containsKey(VmTags.POOL)).count();
    assertTrue(pooledLive <= 4, "pooled VMs live: " + pooledLive);
    FleetCheck.assertNoOrphans();
  }

  private Map<String, Map<String, String>> poolLeases() {
    return LeasesTable.byName().entrySet().stream()
        .filter(e -> e.getValue().containsKey("pool"))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  private ApiResponse claim(String vmId) {
    return call(Route.CLAIM, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId))));
  }

  private ApiResponse report(String vmId, String phase) {
    return call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", phase)));
  }

  private static String code(String vmId) {
    return new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
  }

  private JsonNode userData(String instanceId) {
    String encoded = ec2.ec2().describeInstanceAttribute(r -> r.instanceId(instanceId).attribute("userData")).userData().value();
    return Json.parse(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
  }

  private static Map<String, JsonNode> byVmId(JsonNode vms) {
    return StreamSupport.stream(vms.spliterator(), false).collect(Collectors.toMap(v -> v.path("vm_id").asText(), v -> v));
  }

  private static Set<String> vmIds(JsonNode vms) {
    return byVmId(vms).keySet();
  }

  private static Set<String> fieldNames(JsonNode object) {
    Set<String> names = new java.util.TreeSet<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
