package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.MotoTest;

/**
 * A fleet mixing foreign instances with ours: list and the destroy routes see and terminate
 * exactly ours, whatever the others' tags look like.
 */
class FleetSafetyTest extends MotoTest {

  private Set<String> foreign;
  private String oursExpired;
  private String oursFresh;

  @BeforeEach
  void mixedFleet() {
    Instant past = Instant.now().minusSeconds(3600);
    foreign =
        Set.of(
            ec2.launch(Map.of()),
            ec2.launch(Map.of("thebacknd", "false", "Name", "thebacknd-50", "thebacknd:expires-at", past.toString())),
            ec2.launch(Map.of("thebacknd", "TRUE", "Name", "thebacknd-51", "thebacknd:expires-at", past.toString())),
            ec2.launch(Map.of("Name", "thebacknd-52", "thebacknd:vm-id", "0f8fad5b-d9cb-469f-a165-70867728950e",
                "thebacknd:expires-at", past.toString())),
            ec2.launch(Map.of("thebacknd:true", "true", "owner", "someone-else")),
            ec2.launch(Map.of("Thebacknd", "true")));
    oursExpired = ec2.launchOurs(1, past);
    oursFresh = ec2.launchOurs(2, Instant.now().plusSeconds(3600));
  }

  @Test
  void listShowsOnlyOurs() {
    Set<String> listed = new HashSet<>();
    listed().forEach(vm -> listed.add(vm.path("instance_id").asText()));
    assertEquals(Set.of(oursExpired, oursFresh), listed);
  }

  @Test
  void destroyOldTerminatesOnlyOurExpiredVm() {
    ApiResponse response = call(Route.DESTROY_OLD, "{}");
    assertEquals(List.of(oursExpired), ids(response));
    Set<String> expectedLive = new HashSet<>(foreign);
    expectedLive.add(oursFresh);
    assertEquals(expectedLive, ec2.liveIds());
  }

  @Test
  void destroyAllTerminatesOnlyOurs() {
    ApiResponse response = call(Route.DESTROY_ALL, "{}");
    assertEquals(Set.of(oursExpired, oursFresh), Set.copyOf(ids(response)));
    assertEquals(foreign, ec2.liveIds());
  }

  @Test
  void destroyByNameIgnoresForeignInstancesWithOurNames() {
    assertEquals(404, call(Route.DESTROY, "{\"name\": \"thebacknd-50\"}").status());
    assertEquals(404, call(Route.DESTROY, "{\"name\": \"thebacknd-52\"}").status());
    assertTrue(ec2.liveIds().containsAll(foreign));
  }

  @Test
  void destroySelfCannotReachAForeignInstanceCarryingAVmIdTag() {
    String vmId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    String code = new KillCodes(() -> List.of(thebacknd.testing.TestEnv.SECRET)).codeFor(vmId);
    ApiResponse response = call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code)));
    assertEquals(200, response.status());
    assertEquals(0, response.body().path("terminated").size());
    assertTrue(ec2.liveIds().containsAll(foreign));
  }

  @Test
  void destroyOldClears1200ExpiredVmsAcrossPages() throws Exception {
    List<String> expired = ec2.launchManyOurs(1200, Instant.now().minusSeconds(60));
    assertEquals(1202, listed().size(), "list reads every page");

    ApiResponse response = call(Route.DESTROY_OLD, "{}");
    assertEquals(200, response.status());
    assertEquals(1201, response.body().path("destroyed").size());
    Set<String> expectedLive = new HashSet<>(foreign);
    expectedLive.add(oursFresh);
    assertEquals(expectedLive, ec2.liveIds());
    assertTrue(expired.stream().noneMatch(ec2.liveIds()::contains));
  }

  private static List<String> ids(ApiResponse response) {
    List<String> ids = new ArrayList<>();
    response.body().path("destroyed").forEach(vm -> ids.add(vm.path("instance_id").asText()));
    return ids;
  }
}
