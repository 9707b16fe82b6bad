package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.FaultProxy.Delivery;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;
import thebacknd.testing.Parallel;

/**
 * Create, list, destroy-all and destroy-old while a share of every EC2, S3 and DynamoDB call is
 * answered with AWS's own throttling and 5xx errors (the fault proxy in front of moto). Whatever
 * the share: nothing is orphaned (every live VM holds its lease, none is untagged, no name repeats),
 * every refusal is a 502 or 503 naming the AWS error, never a 500, and destroy-all converges. Up to
 * 40 %, at least 90 % of creates succeed.
 */
class FaultToleranceTest extends MotoTest {

  private static final Set<String> INJECTED =
      Set.of("RequestLimitExceeded", "InternalError", "Unavailable", "SlowDown", "ThrottlingException",
          "ProvisionedThroughputExceededException", "InternalServerError");

  @ParameterizedTest(name = "{0} of calls failing, {1} creates")
  @CsvSource({"0.4, 30", "0.6, 12"})
  void createsListAndDestroyAllUnderFaults(double share, int creates) throws Exception {
    env.put("THEBACKND_MAX_VMS", String.valueOf(creates + 5));
    try (FaultProxy proxy = FaultProxy.forMoto((long) (share * 1000)).failEverywhere(share)) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      List<ApiResponse> responses = createConcurrently(creates, 5);
      List<ApiResponse> created = responses.stream().filter(r -> r.status() == 201).toList();
      responses.stream().filter(r -> r.status() != 201).forEach(FaultToleranceTest::assertAnAwsFailure);
      System.out.printf("%.0f %% faults: %d of %d creates succeeded, %d faults injected; refusals: %s%n",
          share * 100, created.size(), creates, proxy.faultCount(),
          responses.stream().filter(r -> r.status() != 201).map(r -> r.body().path("error").path("message").asText()).toList());
      if (share <= 0.4) {
        assertTrue(created.size() >= 0.9 * creates, created.size() + " of " + creates + " creates succeeded");
      }
      FleetCheck.assertNoOrphans();
      Set<String> names = created.stream().map(r -> r.body().path("vm").path("name").asText()).collect(Collectors.toSet());
      assertEquals(created.size(), names.size(), "names answered repeat");
      assertTrue(FleetCheck.live().keySet().containsAll(
          created.stream().map(r -> r.body().path("vm").path("instance_id").asText()).toList()), "every 201 is live");

      ApiResponse list = call(Route.LIST, null);
      if (list.status() == 200) {
        assertEquals(FleetCheck.live().size(), list.body().path("vms").size());
      } else {
        assertAnAwsFailure(list);
      }

      convergeWith(Route.DESTROY_ALL);
      FleetCheck.assertLiveAreExactly(List.of());
      FleetCheck.assertNoOrphans();
    }
  }

  @Test
  void destroyOldConvergesUnderHalfTheCallsFailing() throws Exception {
    List<ApiResponse> created = createConcurrently(6, 3);
    assertEquals(6, created.stream().filter(r -> r.status() == 201).count());
    List<String> expired = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String id = created.get(i).body().path("vm").path("instance_id").asText();
      ec2.ec2().createTags(r -> r.resources(id).tags(t -> t.key(VmTags.EXPIRES_AT).value(Instant.now().minusSeconds(60).toString())));
      expired.add(id);
    }
    List<String> fresh = created.subList(4, 6).stream().map(r -> r.body().path("vm").path("instance_id").asText()).toList();
    try (FaultProxy proxy = FaultProxy.forMoto(50).failEverywhere(0.5)) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      convergeWith(Route.DESTROY_OLD);
    }
    FleetCheck.assertLiveAreExactly(fresh);
    FleetCheck.assertNoOrphans();
    assertTrue(LeasesTable.items().size() >= 2, "the fresh VMs keep their leases");
  }

  @Test
  void aLaunchThrottledThroughEveryRetryIs503NamingTheCode() {
    try (FaultProxy proxy = FaultProxy.forMoto(1).rule(only("RunInstances", FaultProxy.REQUEST_LIMIT_EXCEEDED, Delivery.INSTEAD))) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      ApiResponse response = call(Route.CREATE, "{}");
      assertEquals(503, response.status(), response.bodyText());
      assertEquals("aws_throttled", response.body().path("error").path("code").asText());
      String message = response.body().path("error").path("message").asText();
      assertTrue(message.startsWith("EC2 RunInstances failed with RequestLimitExceeded: Request limit exceeded (6 attempts)"), message);
      assertEquals(6, proxy.requests().get("EC2 RunInstances"));
    }
    assertEquals(Map.of(), ec2.all());
  }

  @Test
  void anUncertainLaunchKeepsItsNameUntilItsFateIsKnown() {
    // A 500, or a throttled last attempt after an earlier 500, may come after the launch.
    try (FaultProxy proxy = FaultProxy.forMoto(1).rule(only("RunInstances", FaultProxy.EC2_INTERNAL_ERROR, Delivery.INSTEAD))) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      ApiResponse response = call(Route.CREATE, "{}");
      assertEquals(503, response.status(), response.bodyText());
      assertEquals("aws_unavailable", response.body().path("error").path("code").asText());
    }
    env.put("AWS_ENDPOINT_URL", Moto.endpoint().toString());
    // The lease stays (without an instance) and a create meanwhile takes the next name; past the
    // grace, with nothing of it seen, it is reclaimed (LeaseLifecycleTest).
    assertEquals(Set.of("thebacknd-1"), LeasesTable.byName().keySet());
    assertFalse(LeasesTable.byName().get("thebacknd-1").containsKey("instance_id"));
    assertEquals("thebacknd-2", createdVm("{}").path("name").asText());
  }

  @Test
  void aLaunchWhoseAnswerIsLostIsFoundByItsVmIdAndWithdrawn() {
    // Every RunInstances reaches EC2 and launches; every answer is a 500. (Moto ignores the
    // ClientToken, so each of the SDK's attempts launches one: all carry the same vm_id tag.)
    try (FaultProxy proxy = FaultProxy.forMoto(1).rule(only("RunInstances", FaultProxy.EC2_INTERNAL_ERROR, Delivery.AFTER))) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      ApiResponse response = call(Route.CREATE, "{}");
      assertEquals(503, response.status(), response.bodyText());
      assertEquals("aws_unavailable", response.body().path("error").path("code").asText());
      assertTrue(proxy.requests().get("EC2 TerminateInstances") >= 1, "withdrawn: " + proxy.requests());
    }
    env.put("AWS_ENDPOINT_URL", Moto.endpoint().toString());
    assertFalse(ec2.all().isEmpty(), "the lost answers did launch");
    FleetCheck.assertLiveAreExactly(List.of());
    FleetCheck.assertNoOrphans();
    assertEquals(Map.of(), LeasesTable.byName(), "the name is free again");
    assertEquals("thebacknd-1", createdVm("{}").path("name").asText());
  }

  @Test
  void aLaunchWhoseInstanceCouldNotBeRecordedStillSucceeds() {
    try (FaultProxy proxy = FaultProxy.forMoto(1).rule(only("UpdateItem", FaultProxy.DYNAMODB_THROTTLING, Delivery.INSTEAD))) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      ApiResponse response = call(Route.CREATE, "{}");
      assertEquals(201, response.status(), response.bodyText());
    }
    env.put("AWS_ENDPOINT_URL", Moto.endpoint().toString());
    // The lease has no instance id, but the VM's vm_id tag ties it to its lease.
    assertFalse(LeasesTable.byName().get("thebacknd-1").containsKey("instance_id"));
    FleetCheck.assertNoOrphans();
    assertEquals("thebacknd-2", createdVm("{}").path("name").asText());
  }

  @Test
  void aLaunchThatLostItsLeaseMeanwhileIsWithdrawn() {
    String thief = "11111111-2222-4333-8444-555555555555";
    // Just before the instance is recorded, another create takes the lease (as only a clock minutes
    // off could make it): the launch no longer has a name of its own and must go.
    FaultProxy.Rule steal = (request, random) -> {
      if (request.service() == FaultProxy.Service.DYNAMODB && request.operation().equals("UpdateItem")) {
        LeasesTable.put(Map.of("name", "thebacknd-1", "vm_id", thief, "claimed_at", Instant.now().toString()));
      }
      return Optional.empty();
    };
    try (FaultProxy proxy = FaultProxy.forMoto(1).rule(steal)) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      ApiResponse response = call(Route.CREATE, "{}");
      assertEquals(503, response.status(), response.bodyText());
      assertEquals("lease_lost", response.body().path("error").path("code").asText());
    }
    FleetCheck.assertLiveAreExactly(List.of());
    assertEquals(thief, LeasesTable.byName().get("thebacknd-1").get("vm_id"), "the other create's lease is untouched");
  }

  /** Every call of {@code operation} fails with {@code error}. */
  private static FaultProxy.Rule only(String operation, FaultProxy.AwsError error, Delivery delivery) {
    return (request, random) -> request.operation().equals(operation) ? Optional.of(new FaultProxy.Fault(error, delivery)) : Optional.empty();
  }

  /** Calls a destroy route until it answers 200 and nothing it should take is live; a bounded loop. */
  private void convergeWith(Route destroy) {
    for (int round = 1; round <= 10; round++) {
      ApiResponse response = call(destroy, "{}");
      if (response.status() == 200 && response.body().path("destroyed").isEmpty()) {
        return;
      }
      if (response.status() != 200) {
        assertAnAwsFailure(response);
      }
    }
    throw new AssertionError(destroy + " did not converge in 10 calls");
  }

  private static void assertAnAwsFailure(ApiResponse response) {
    assertTrue(response.status() == 502 || response.status() == 503, response.status() + " " + response.bodyText());
    String message = response.body().path("error").path("message").asText();
    String code = response.body().path("error").path("code").asText();
    assertTrue("aws_slow".equals(code) || INJECTED.stream().anyMatch(message::contains), "names the AWS error: " + response.bodyText());
  }

  /** {@code count} creates, {@code parallel} at a time, each in its own container. */
  private List<ApiResponse> createConcurrently(int count, int parallel) throws Exception {
    return Parallel.run(count, parallel, i -> {
      Api container = api();
      return () -> container.handle(Route.CREATE, "{}");
    });
  }
}
