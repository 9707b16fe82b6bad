package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.Instance;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;

/**
 * Instance types and spot (DESIGN §9 "Capacity") against moto, behind the fault proxy answering
 * EC2's own {@code InsufficientInstanceCapacity} (HTTP 500, as EC2 sends it) for chosen types and
 * markets. Read back from moto: which instance exists, on which market, with which tags; and from
 * the proxy: exactly which RunInstances were sent.
 */
class CapacityFallbackTest extends MotoTest {

  private FaultProxy proxy;
  private final List<FaultProxy.Request> launches = new CopyOnWriteArrayList<>();

  @BeforeEach
  void behindTheProxy() {
    env.put("THEBACKND_ALLOWED_INSTANCE_TYPES", "t3.small,t3.medium,t3.large,t3.xlarge");
    proxy = FaultProxy.forMoto(11).rule(FaultProxy.record("RunInstances", launches));
    env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
  }

  @AfterEach
  void stopTheProxy() {
    proxy.close();
  }

  @Test
  void aSpotCreateLaunchesOneTimeSpotTaggedOnTheRequestToo() {
    JsonNode vm = createdVm(json(Map.of("spot", true)));
    assertEquals("spot", vm.path("lifecycle").asText());
    Instance instance = ec2.all().get(vm.path("instance_id").asText());
    assertEquals("spot", instance.instanceLifecycleAsString(), "EC2 holds it as a spot instance");
    assertEquals("spot", listed().get(0).path("lifecycle").asText());

    assertEquals(1, launches.size());
    Map<String, String> sent = launches.get(0).params();
    assertEquals("spot", sent.get("InstanceMarketOptions.MarketType"));
    assertEquals("one-time", sent.get("InstanceMarketOptions.SpotOptions.SpotInstanceType"));
    assertEquals("terminate", sent.get("InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior"));
    assertFalse(sent.containsKey("InstanceMarketOptions.SpotOptions.MaxPrice"), "never above the on-demand price");
    // The spot request carries our tag too: the create role may request spot only with it.
    String spec = specificationFor(sent, "spot-instances-request");
    assertEquals("thebacknd", sent.get(spec + ".Tag.1.Key"));
    assertEquals("true", sent.get(spec + ".Tag.1.Value"));
  }

  @Test
  void onDemandIsTheDefaultAndAskedForNoSpot() {
    JsonNode vm = createdVm("{}");
    assertEquals("on-demand", vm.path("lifecycle").asText());
    assertFalse(launches.get(0).params().containsKey("InstanceMarketOptions.MarketType"));
    assertEquals(null, ec2.all().get(vm.path("instance_id").asText()).instanceLifecycleAsString());
  }

  @Test
  void theNextTypeIsTriedWhenOneHasNoCapacityEachTryOnceWithItsOwnToken() {
    proxy.rule(FaultProxy.noCapacity("t3.small", false)).rule(FaultProxy.noCapacity("t3.medium", false));
    JsonNode vm = createdVm(json(Map.of("instance_types", List.of("t3.small", "t3.medium", "t3.large"))));
    assertEquals("t3.large", vm.path("instance_type").asText());
    assertEquals("thebacknd-1", vm.path("name").asText());
    assertEquals(List.of("t3.small", "t3.medium", "t3.large"), sent("InstanceType"), "one request per type: a capacity refusal is not retried");
    List<String> tokens = sent("ClientToken");
    assertEquals(3, Set.copyOf(tokens).size(), "each try has its own idempotency token: " + tokens);
    assertEquals(List.of(vm.path("instance_id").asText()), List.copyOf(ec2.all().keySet()), "nothing else was launched");
    assertEquals("t3.large", ec2.all().get(vm.path("instance_id").asText()).instanceTypeAsString());
    assertEquals(vm.path("vm_id").asText(), LeasesTable.byName().get("thebacknd-1").get("vm_id"), "one name, claimed once");
    FleetCheck.assertNoOrphans();
  }

  @Test
  void spotWithoutCapacityFallsBackToTheSameTypesOnDemand() {
    for (String type : List.of("t3.small", "t3.medium")) {
      proxy.rule(FaultProxy.noCapacity(type, true));
    }
    proxy.rule(FaultProxy.noCapacity("t3.small", false));
    JsonNode vm = createdVm(json(Map.of("instance_types", List.of("t3.small", "t3.medium"), "spot", true)));
    assertEquals("t3.medium", vm.path("instance_type").asText());
    assertEquals("on-demand", vm.path("lifecycle").asText());
    assertEquals(List.of("t3.small", "t3.medium", "t3.small", "t3.medium"), sent("InstanceType"));
    assertEquals("spot,spot,-,-", String.join(",", launches.stream()
        .map(r -> r.param("InstanceMarketOptions.MarketType").orElse("-")).toList()));
    assertEquals(null, ec2.all().get(vm.path("instance_id").asText()).instanceLifecycleAsString());
    FleetCheck.assertNoOrphans();
  }

  @Test
  void withSpotFallbackNoneASpotCreateWithoutSpotCapacityIs503() {
    env.put("THEBACKND_SPOT_FALLBACK", "none");
    proxy.rule(FaultProxy.noCapacity("t3.micro", true, "SpotMaxPriceTooLow", 400));
    ApiResponse response = call(Route.CREATE, json(Map.of("spot", true)));
    assertEquals(503, response.status(), response.bodyText());
    assertEquals("insufficient_capacity", response.body().path("error").path("code").asText());
    assertTrue(response.body().path("error").path("message").asText().startsWith("No capacity for t3.micro (spot);"), response.bodyText());
    assertEquals(1, launches.size(), "no on-demand try");
    assertEquals(Map.of(), ec2.all());
    assertEquals(Map.of(), LeasesTable.byName(), "the name is free again");
  }

  @Test
  void noCapacityAnywhereIs503NamingEveryTypeAndMarketAndLeavesEc2AsItWas() {
    String foreign = ec2.launch(Map.of("Name", "someone-else"));
    List<String> types = List.of("t3.micro", "t3.small", "t3.medium", "t3.large", "t3.xlarge");
    for (String type : types) {
      proxy.rule(FaultProxy.noCapacity(type, true)).rule(FaultProxy.noCapacity(type, false));
    }
    long started = System.nanoTime();
    ApiResponse response = call(Route.CREATE, json(Map.of("instance_types", types, "spot", true)));
    long millis = (System.nanoTime() - started) / 1_000_000;
    assertEquals(503, response.status(), response.bodyText());
    String message = response.body().path("error").path("message").asText();
    assertEquals("insufficient_capacity", response.body().path("error").path("code").asText());
    assertTrue(message.startsWith("No capacity for t3.micro, t3.small, t3.medium, t3.large, t3.xlarge (spot), then "
        + "t3.micro, t3.small, t3.medium, t3.large, t3.xlarge (on demand); nothing was launched"), message);
    assertTrue(message.contains("InsufficientInstanceCapacity"), message);
    assertEquals(10, launches.size(), "5 types × 2 markets, each tried once");
    System.out.println("10 tries refused for capacity, then 503: " + millis + " ms");
    assertTrue(millis < 9_000, "ten tries fit in the create's launch time: " + millis + " ms");
    assertEquals(List.of(foreign), List.copyOf(ec2.all().keySet()), "EC2 unchanged");
    assertEquals(Map.of(), LeasesTable.byName(), "the name lease was released");
    env.put("AWS_ENDPOINT_URL", Moto.endpoint().toString()); // capacity is back
    assertEquals("thebacknd-1", createdVm("{}").path("name").asText(), "and is free for the next create");
  }

  @Test
  void aRefusalOtherThanCapacityStopsTheWalk() {
    proxy.rule(FaultProxy.noCapacity("t3.micro", false));
    proxy.rule(FaultProxy.noCapacity("t3.small", false, "InvalidParameterValue", 400));
    ApiResponse response = call(Route.CREATE, json(Map.of("instance_types", List.of("t3.micro", "t3.small", "t3.medium"))));
    assertEquals(502, response.status(), response.bodyText());
    assertTrue(response.body().path("error").path("message").asText().contains("InvalidParameterValue"), response.bodyText());
    assertEquals(List.of("t3.micro", "t3.small"), sent("InstanceType"));
    assertEquals(Map.of(), ec2.all());
    assertEquals(Map.of(), LeasesTable.byName());
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "{\"instance_types\": \"t3.small\"}",
    "{\"instance_types\": []}",
    "{\"instance_types\": [\"t3.small\", 3]}",
    "{\"instance_types\": [\"t3.micro\", \"t3.small\", \"t3.medium\", \"t3.large\", \"t3.xlarge\", \"t3.2xlarge\"]}",
    "{\"instance_types\": [\"t3.small\", \"t3.small\"]}",
    "{\"instance_types\": [\"t3.small\", \"p5.48xlarge\"]}",
    "{\"instance_type\": \"t3.small\", \"instance_types\": [\"t3.medium\"]}",
    "{\"spot\": \"yes\"}",
    "{\"spot\": 1}",
  })
  void invalidInstanceTypesOrSpotAre400AndLaunchNothing(String body) {
    ApiResponse response = call(Route.CREATE, body);
    assertEquals(400, response.status(), response.bodyText());
    assertTrue(!response.body().path("error").path("message").asText().isBlank());
    assertEquals(List.of(), launches);
    assertEquals(Map.of(), ec2.all());
    assertEquals(Map.of(), LeasesTable.byName());
  }

  private List<String> sent(String parameter) {
    return launches.stream().map(r -> r.param(parameter).orElse("-")).toList();
  }

  /** "TagSpecification.N" of the RunInstances parameters whose ResourceType is {@code type}. */
  private static String specificationFor(Map<String, String> params, String type) {
    return params.entrySet().stream()
        .filter(e -> e.getKey().matches("TagSpecification\\.[0-9]+\\.ResourceType") && e.getValue().equals(type))
        .map(e -> e.getKey().replace(".ResourceType", ""))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no TagSpecification for " + type + " in " + params.keySet()));
  }
}
