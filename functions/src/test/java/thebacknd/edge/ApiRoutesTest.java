package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;

/** Every route's happy path and every error status, through the same Api the handlers use. */
class ApiRoutesTest extends MotoTest {

  private static final String TOPLEVEL = "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05";
  private static final String BINARY = "/nix/store/3r733qcrl5pn9a5l07cn9awh676aiics-hello-2.12/bin/hello";

  @Test
  void createAnswers201WithEveryVmFieldOfTheDesign() {
    Instant before = Instant.now();
    JsonNode vm = createdVm(json(Map.of("nix_toplevel", TOPLEVEL)));
    Set<String> fields = new TreeSet<>();
    vm.fieldNames().forEachRemaining(fields::add);
    assertEquals(
        new TreeSet<>(List.of("name", "vm_id", "instance_id", "state", "instance_type", "nix_toplevel", "nix_binary",
            "launched_at", "expires_at", "should_be_destroyed", "destroy_reason", "public_ips", "phase", "phase_detail",
            "exit_code", "lifecycle", "args", "owner", "nix_flake", "nix_packages")),
        fields);
    assertEquals("thebacknd-1", vm.path("name").asText());
    assertTrue(vm.path("vm_id").asText().matches("[0-9a-f-]{36}"));
    assertEquals(TOPLEVEL, vm.path("nix_toplevel").asText());
    assertTrue(vm.path("nix_binary").isNull());
    assertTrue(vm.path("phase").isNull());
    assertTrue(vm.path("exit_code").isNull());
    assertTrue(vm.path("args").isNull(), "a toplevel takes no arguments");
    assertEquals("t3.micro", vm.path("instance_type").asText());
    assertFalse(vm.path("should_be_destroyed").asBoolean());
    assertTrue(vm.path("destroy_reason").isNull());
    assertEquals("on-demand", vm.path("lifecycle").asText());
    assertTrue(vm.path("owner").isNull(), "a request whose caller is unknown");
    Instant expires = Instant.parse(vm.path("expires_at").asText());
    assertTrue(!expires.isBefore(before.truncatedTo(ChronoUnit.SECONDS).plus(Duration.ofMinutes(60))) && expires.isBefore(Instant.now().plus(Duration.ofMinutes(61))), expires.toString());
    assertTrue(vm.path("expires_at").asText().endsWith("Z"), "timestamps are UTC");
  }

  @Test
  void createABinaryWithAnAllowedTypeAndTtl() {
    env.put("THEBACKND_ALLOWED_INSTANCE_TYPES", "t3.small");
    JsonNode vm = createdVm(json(Map.of("nix_binary", BINARY, "instance_type", "t3.small", "ttl_minutes", 5)));
    assertEquals(BINARY, vm.path("nix_binary").asText());
    assertTrue(vm.path("nix_toplevel").isNull());
    assertEquals("t3.small", vm.path("instance_type").asText());
    Duration ttl = Duration.between(Instant.now(), Instant.parse(vm.path("expires_at").asText()));
    assertTrue(ttl.compareTo(Duration.ofMinutes(4)) > 0 && ttl.compareTo(Duration.ofMinutes(5)) <= 0, ttl.toString());
  }

  @Test
  void listIsOrderedByNameNumberAndNamesAreReusedOnceFreed() {
    ec2.launchOurs(10, Instant.now().plusSeconds(600));
    ec2.launchOurs(9, Instant.now().plusSeconds(600));
    createdVm("{}");
    createdVm("{}");
    assertEquals(List.of("thebacknd-1", "thebacknd-2", "thebacknd-9", "thebacknd-10"), names(listed()));

    ApiResponse destroyed = call(Route.DESTROY, json(Map.of("name", "thebacknd-1")));
    assertEquals(200, destroyed.status(), destroyed.bodyText());
    assertEquals("thebacknd-1", destroyed.body().path("destroyed").get(0).path("name").asText());
    assertEquals("thebacknd-1", createdVm("{}").path("name").asText(), "a freed name is the smallest free one");
  }

  @Test
  void destroyOfAnUnknownNameIs404AndTouchesNothing() {
    ec2.launchOurs(1, Instant.now().plusSeconds(600));
    Set<String> before = ec2.liveIds();
    ApiResponse response = call(Route.DESTROY, json(Map.of("name", "thebacknd-7")));
    assertEquals(404, response.status());
    assertEquals("vm_not_found", response.body().path("error").path("code").asText());
    assertEquals(before, ec2.liveIds());
  }

  @Test
  void destroyAllHonoursDryRun() {
    String a = ec2.launchOurs(1, Instant.now().plusSeconds(600));
    String b = ec2.launchOurs(2, Instant.now().minusSeconds(600));

    ApiResponse dry = call(Route.DESTROY_ALL, "{\"dry_run\": true}");
    assertEquals(200, dry.status());
    assertTrue(dry.body().path("dry_run").asBoolean());
    assertEquals(2, dry.body().path("destroyed").size());
    assertEquals(Set.of(a, b), ec2.liveIds());

    ApiResponse real = call(Route.DESTROY_ALL, "");
    assertEquals(200, real.status());
    assertFalse(real.body().path("dry_run").asBoolean());
    assertEquals(Set.of("thebacknd-1", "thebacknd-2"), Set.copyOf(names(real.body().path("destroyed"))));
    assertEquals(Set.of(), ec2.liveIds());
    assertEquals(0, listed().size());
  }

  @Test
  void destroyOldTakesOnlyExpiredVmsAndHonoursDryRun() {
    String fresh = ec2.launchOurs(1, Instant.now().plusSeconds(600));
    String expired = ec2.launchOurs(2, Instant.now().minusSeconds(1));

    ApiResponse dry = call(Route.DESTROY_OLD, "{\"dry_run\": true}");
    assertEquals(List.of("thebacknd-2"), names(dry.body().path("destroyed")));
    assertTrue(dry.body().path("destroyed").get(0).path("should_be_destroyed").asBoolean());
    assertEquals(Set.of(fresh, expired), ec2.liveIds());

    ApiResponse real = call(Route.DESTROY_OLD, "{}");
    assertEquals(List.of("thebacknd-2"), names(real.body().path("destroyed")));
    assertEquals(Set.of(fresh), ec2.liveIds());
  }

  @Test
  void aVmWithoutAnExpiryTagExpiresAtLaunchPlusTheDefaultTtl() {
    env.put("THEBACKND_TTL_MINUTES", "1");
    String noTag = ec2.launch(Map.of("thebacknd", "true", "Name", "thebacknd-1"));
    JsonNode vm = listed().get(0);
    Instant launched = Instant.parse(vm.path("launched_at").asText());
    assertEquals(launched.plus(Duration.ofMinutes(1)), Instant.parse(vm.path("expires_at").asText()));
    assertEquals(0, call(Route.DESTROY_OLD, "{}").body().path("destroyed").size(), "not a minute old yet");
    assertEquals(Set.of(noTag), ec2.liveIds());
  }

  @Test
  void destroySelfTerminatesOnlyTheProvenVmAndIsIdempotent() {
    JsonNode mine = createdVm("{}");
    JsonNode other = createdVm("{}");
    String vmId = mine.path("vm_id").asText();
    String code = killCode(vmId);

    ApiResponse wrong = call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", killCode(other.path("vm_id").asText()))));
    assertEquals(403, wrong.status());
    assertEquals("bad_kill_code", wrong.body().path("error").path("code").asText());
    assertEquals(2, ec2.liveIds().size(), "a wrong kill code touches nothing");

    ApiResponse first = call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code)));
    assertEquals(200, first.status(), first.bodyText());
    assertEquals(vmId, first.body().path("vm_id").asText());
    assertEquals(List.of(mine.path("instance_id").asText()), texts(first.body().path("terminated")));
    assertEquals(Set.of(other.path("instance_id").asText()), ec2.liveIds());

    ApiResponse again = call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code)));
    assertEquals(200, again.status());
    assertEquals(0, again.body().path("terminated").size());
  }

  @Test
  void reportSetsThePhaseOfTheProvenVmOnly() {
    JsonNode mine = createdVm("{}");
    createdVm("{}");
    String vmId = mine.path("vm_id").asText();
    ApiResponse response =
        call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", killCode(vmId), "phase", "fetching", "detail", "3 paths")));
    assertEquals(200, response.status(), response.bodyText());
    assertEquals(Map.of("vm_id", vmId, "phase", "fetching"), Map.of("vm_id", response.body().path("vm_id").asText(), "phase", response.body().path("phase").asText()));

    JsonNode vms = listed();
    assertEquals("fetching", vms.get(0).path("phase").asText());
    assertEquals("3 paths", vms.get(0).path("phase_detail").asText());
    assertTrue(vms.get(1).path("phase").isNull(), "the other VM is untouched");

    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", killCode(vmId), "phase", "running")));
    assertEquals("running", listed().get(0).path("phase").asText());
    assertTrue(listed().get(0).path("phase_detail").isNull(), "a report without detail clears the old one");
  }

  @Test
  void reportForAVmThatIsGoneIs404() {
    String vmId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    ApiResponse response = call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", killCode(vmId), "phase", "booting")));
    assertEquals(404, response.status());
    assertEquals("vm_not_found", response.body().path("error").path("code").asText());
  }

  @Test
  void theCostCapAnswers429AndLaunchesNothing() {
    env.put("THEBACKND_MAX_VMS", "2");
    ec2.launchOurs(1, Instant.now().plusSeconds(600));
    createdVm("{}");
    Set<String> before = ec2.liveIds();
    int allBefore = ec2.all().size();
    ApiResponse response = call(Route.CREATE, "{}");
    assertEquals(429, response.status());
    assertEquals("cap_reached", response.body().path("error").path("code").asText());
    assertEquals(before, ec2.liveIds());
    assertEquals(allBefore, ec2.all().size());
  }

  @Test
  void anAwsRefusalIs502NamingTheAwsErrorCode() {
    env.put("THEBACKND_INSTANCE_PROFILE", "no-such-profile");
    ApiResponse response = call(Route.CREATE, "{}");
    assertEquals(502, response.status());
    assertEquals("aws_error", response.body().path("error").path("code").asText());
    assertTrue(response.body().path("error").path("message").asText().contains("NoSuchEntity"), response.bodyText());
    assertEquals(0, ec2.all().size());
    assertEquals(List.of(), LeasesTable.items(), "a refused launch frees its name");
  }

  @Test
  void anUnreachableEc2Is502() {
    env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    ApiResponse response = call(Route.LIST, null);
    assertEquals(502, response.status());
    assertEquals("aws_unreachable", response.body().path("error").path("code").asText());
  }

  @Test
  void aBodyOver16KibIs413() {
    String big = "{\"nix_toplevel\": \"" + "a".repeat(16 * 1024) + "\"}";
    ApiResponse response = call(Route.CREATE, big);
    assertEquals(413, response.status());
    assertEquals("body_too_large", response.body().path("error").path("code").asText());
  }

  @Test
  void theKillCodeKeyCanComeFromSecretsManagerAndSurviveARotation() {
    SecretsManagerClient secrets = Moto.clients().secretsManager();
    String arn = secrets.createSecret(r -> r.name("thebacknd-kill-code-key").secretString("first-secret-0123456789abcdef")).arn();
    env.remove("THEBACKND_SECRET");
    env.put("THEBACKND_SECRET_ARN", arn);
    JsonNode vm = createdVm("{}");
    String vmId = vm.path("vm_id").asText();
    String firstCode = new KillCodes(() -> List.of("first-secret-0123456789abcdef")).codeFor(vmId);

    secrets.putSecretValue(r -> r.secretId(arn).secretString("second-secret-0123456789abcdef"));
    // A fresh container reads both versions: the old code still proves the VM.
    ApiResponse report = call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", firstCode, "phase", "booting")));
    assertEquals(200, report.status(), report.bodyText());
    String wrong = new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
    assertEquals(403, call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", wrong, "phase", "booting"))).status());
  }

  @Test
  void aKillCodeSecretThatDoesNotExistIsOneLineNotACrash() {
    env.remove("THEBACKND_SECRET");
    env.put("THEBACKND_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf");
    ApiResponse response = call(Route.CREATE, "{}");
    assertEquals(500, response.status());
    assertEquals("misconfigured", response.body().path("error").path("code").asText());
    assertTrue(response.body().path("error").path("message").asText().startsWith("THEBACKND_SECRET_ARN names a secret that does not exist"));
    assertEquals(0, ec2.all().size(), "nothing launched without a kill code");
  }

  private static String killCode(String vmId) {
    return new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
  }

  private static List<String> names(JsonNode vms) {
    List<String> names = new ArrayList<>();
    vms.forEach(vm -> names.add(vm.path("name").asText()));
    return names;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
