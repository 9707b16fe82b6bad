package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.MotoTest;
import thebacknd.testing.Parallel;
import thebacknd.testing.Poll;

/**
 * Creates racing each other, each with its own service and clients as separate Lambda containers
 * would be: names stay unique and the cap is exact, also when EC2's DescribeInstances lags behind
 * the launches as it does on AWS, and every name answered is the lease of a live VM.
 */
class ConcurrentCreateTest extends MotoTest {

  @Test
  void twentyConcurrentCreatesGetTwentyDistinctNames() throws Exception {
    env.put("THEBACKND_MAX_VMS", "20");
    List<ApiResponse> responses = race(20);
    assertEquals(List.of(201), responses.stream().map(ApiResponse::status).distinct().toList(), statuses(responses));

    Set<String> names = responses.stream().map(r -> r.body().path("vm").path("name").asText()).collect(Collectors.toSet());
    assertEquals(20, names.size(), "distinct names: " + names);
    Set<String> listedNames = new HashSet<>();
    listed().forEach(vm -> listedNames.add(vm.path("name").asText()));
    assertEquals(names, listedNames, "the names answered are the names live");
    Set<String> expected = new HashSet<>();
    for (int n = 1; n <= 20; n++) {
      expected.add("thebacknd-" + n);
    }
    assertEquals(expected, listedNames, "no gaps: thebacknd-1 … thebacknd-20");
    assertEquals(20, ec2.liveIds().size());
    FleetCheck.assertLiveAreExactly(instanceIds(responses));
    FleetCheck.assertNoOrphans();
  }

  @Test
  void theCapHoldsUnderConcurrentCreates() throws Exception {
    env.put("THEBACKND_MAX_VMS", "7");
    List<ApiResponse> responses = race(20);
    Map<Integer, Long> byStatus = responses.stream().collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
    assertEquals(Map.of(201, 7L, 429, 13L), byStatus, statuses(responses));
    assertEquals(7, ec2.liveIds().size(), "exactly the cap is live");
    assertEquals(7, listed().size());
    Set<String> names = new HashSet<>();
    listed().forEach(vm -> names.add(vm.path("name").asText()));
    assertEquals(7, names.size());
    FleetCheck.assertNoOrphans();
    assertEquals(7, LeasesTable.items().size());
  }

  @Test
  void aVisibilityLagChangesNothing() throws Exception {
    // Measured on the old code: 10 VMs all named thebacknd-1 for a cap of 6.
    env.put("THEBACKND_MAX_VMS", "6");
    try (FaultProxy proxy = FaultProxy.forMoto(11).hideNewInstancesFor(Duration.ofSeconds(4))) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      List<ApiResponse> first = race(10);
      assertEquals(Map.of(201, 6L, 429, 4L), byStatus(first), statuses(first));
      assertEquals(names(1, 2, 3, 4, 5, 6), namesOf(first));
      FleetCheck.assertLiveAreExactly(instanceIds(first));
      FleetCheck.assertNoOrphans();
      Map<String, Map<String, String>> leases = LeasesTable.byName();
      for (ApiResponse r : created(first)) {
        JsonNode vm = r.body().path("vm");
        assertEquals(vm.path("vm_id").asText(), leases.get(vm.path("name").asText()).get("vm_id"));
        assertEquals(vm.path("instance_id").asText(), leases.get(vm.path("name").asText()).get("instance_id"));
      }

      // Two go; while their successors are still hidden, only their two names are free again.
      Poll.until(Duration.ofSeconds(20), () -> listed().size() == 6, "the six VMs to become visible");
      assertEquals(200, call(Route.DESTROY, "{\"name\": \"thebacknd-2\"}").status());
      assertEquals(200, call(Route.DESTROY, "{\"name\": \"thebacknd-5\"}").status());
      List<ApiResponse> second = race(4);
      assertEquals(Map.of(201, 2L, 429, 2L), byStatus(second), statuses(second));
      assertEquals(names(2, 5), namesOf(second));
      List<String> expectedLive = new ArrayList<>(instanceIds(second));
      for (ApiResponse r : created(first)) {
        if (!Set.of("thebacknd-2", "thebacknd-5").contains(r.body().path("vm").path("name").asText())) {
          expectedLive.add(r.body().path("vm").path("instance_id").asText());
        }
      }
      FleetCheck.assertLiveAreExactly(expectedLive);
      FleetCheck.assertNoOrphans();
    }
  }

  private static Map<Integer, Long> byStatus(List<ApiResponse> responses) {
    return responses.stream().collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
  }

  private static List<ApiResponse> created(List<ApiResponse> responses) {
    return responses.stream().filter(r -> r.status() == 201).toList();
  }

  private static Set<String> namesOf(List<ApiResponse> responses) {
    return created(responses).stream().map(r -> r.body().path("vm").path("name").asText()).collect(Collectors.toSet());
  }

  private static List<String> instanceIds(List<ApiResponse> responses) {
    return created(responses).stream().map(r -> r.body().path("vm").path("instance_id").asText()).toList();
  }

  private static Set<String> names(int... numbers) {
    return java.util.Arrays.stream(numbers).mapToObj(n -> "thebacknd-" + n).collect(Collectors.toSet());
  }

  /** {@code creates} creates at once, each with its own service and clients. */
  private List<ApiResponse> race(int creates) throws Exception {
    return Parallel.run(creates, creates, i -> {
      Api ownContainer = api();
      return () -> ownContainer.handle(Route.CREATE, "{}");
    });
  }

  private static String statuses(List<ApiResponse> responses) {
    return responses.stream().map(r -> r.status() + " " + r.bodyText()).collect(Collectors.joining("\n"));
  }
}
