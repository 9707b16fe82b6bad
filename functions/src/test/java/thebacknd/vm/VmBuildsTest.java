package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;
import thebacknd.Json;
import thebacknd.config.Config;
import thebacknd.config.ConfigException;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Route;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;

/**
 * Builds on the VM against moto: {@code create} with {@code nix_flake} or {@code nix_packages}
 * launches only where the deployment opted in, refuses every malformed reference or package list
 * with nothing launched, and the VM's user-data (read back from EC2) carries what its agent needs.
 */
class VmBuildsTest {

  static final String NIXOS_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
  static final String LAB_KEY = "lab-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=";

  @BeforeEach
  void emptyMoto() {
    Moto.reset();
  }

  @Test
  void aFlakeIsLaunchedWithItsReferenceInUserDataTagsAndTheVm() {
    Map<String, String> env = allowing();
    env.put("THEBACKND_UPSTREAM_CACHES", "https://cache.nixos.org=" + NIXOS_KEY + "  http://127.0.0.1:5000/up?priority=50=" + LAB_KEY);
    String flake = "git+http://127.0.0.1:8080/flake.git?ref=main#packages.x86_64-linux.greet";

    ApiResponse response = create(env, Map.of("nix_flake", flake, "args", List.of("--loud", "world")));

    assertEquals(201, response.status(), response.bodyText());
    JsonNode vm = response.body().path("vm");
    assertEquals(flake, vm.path("nix_flake").textValue());
    assertTrue(vm.path("nix_packages").isNull(), vm.toString());
    assertTrue(vm.path("nix_toplevel").isNull() && vm.path("nix_binary").isNull(), vm.toString());
    assertEquals(List.of("--loud", "world"), strings(vm.path("args")));
    Instance instance = onlyInstance();
    assertEquals(flake, tags(instance).get(VmTags.FLAKE));
    assertFalse(tags(instance).containsKey(VmTags.PACKAGES));
    JsonNode userData = userData(instance);
    assertEquals(flake, userData.path("nix_flake").textValue());
    assertTrue(userData.path("nix_packages").isNull(), userData.toString());
    assertTrue(userData.path("nix_toplevel").isNull() && userData.path("nix_binary").isNull(), userData.toString());
    assertEquals(List.of("--loud", "world"), strings(userData.path("nix_args")));
    assertEquals(
        Json.parse("[{\"url\": \"https://cache.nixos.org\", \"key\": \"" + NIXOS_KEY + "\"},"
            + " {\"url\": \"http://127.0.0.1:5000/up?priority=50\", \"key\": \"" + LAB_KEY + "\"}]"),
        userData.path("nix_upstream_caches"));
    // What a listing shows is what the tags say.
    JsonNode listed = App.fromEnvironment(env).api().handle(Route.LIST, "").body().path("vms").get(0);
    assertEquals(flake, listed.path("nix_flake").textValue());
  }

  @Test
  void aFlakeWithoutArgsRunsWithNone() {
    ApiResponse response = create(allowing(), Map.of("nix_flake", "github:owner/repo#nixosConfigurations.web"));

    assertEquals(201, response.status(), response.bodyText());
    JsonNode userData = userData(onlyInstance());
    assertEquals(List.of(), strings(userData.path("nix_args")));
    assertEquals(Json.parse("[]"), userData.path("nix_upstream_caches"));
  }

  @Test
  void aShellIsLaunchedWithItsPackagesAndCommand() {
    List<String> packages = List.of("python3", "jq", "python3Packages.numpy");
    List<String> command = List.of("python3", "-c", "print(1)");

    ApiResponse response = create(allowing(), Map.of("nix_packages", packages, "args", command));

    assertEquals(201, response.status(), response.bodyText());
    JsonNode vm = response.body().path("vm");
    assertEquals(packages, strings(vm.path("nix_packages")));
    assertTrue(vm.path("nix_flake").isNull(), vm.toString());
    assertEquals(command, strings(vm.path("args")));
    Instance instance = onlyInstance();
    assertEquals("python3 jq python3Packages.numpy", tags(instance).get(VmTags.PACKAGES));
    JsonNode userData = userData(instance);
    assertEquals(packages, strings(userData.path("nix_packages")));
    assertTrue(userData.path("nix_flake").isNull(), userData.toString());
    assertEquals(command, strings(userData.path("nix_args")));
  }

  @Test
  void whatDoesNotFitATagIsInTheUserDataOnly() {
    String flake = "git+https://example.org/" + "r".repeat(600) + "#prog";
    List<String> packages = Collections.nCopies(32, "python3Packages.numpy");

    assertEquals(201, create(allowing(), Map.of("nix_flake", flake)).status());
    ApiResponse shell = create(allowing(), Map.of("nix_packages", packages, "args", List.of("true")));

    assertEquals(201, shell.status(), shell.bodyText());
    assertTrue(shell.body().path("vm").path("nix_packages").isNull(), shell.bodyText());
    List<Instance> instances = instances();
    assertEquals(2, instances.size());
    for (Instance instance : instances) {
      assertFalse(tags(instance).containsKey(VmTags.FLAKE) || tags(instance).containsKey(VmTags.PACKAGES), tags(instance).toString());
    }
    List<JsonNode> userData = instances.stream().map(VmBuildsTest::userData).toList();
    assertTrue(userData.stream().anyMatch(u -> flake.equals(u.path("nix_flake").textValue())));
    assertTrue(userData.stream().anyMatch(u -> u.path("nix_packages").isArray() && packages.equals(strings(u.path("nix_packages")))));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      ".#web", "./flake#web", "/home/me/flake#web", "path:/home/me/flake#web", "file:///x.tar.gz#web",
      "git+file:///home/me/repo#web", "nixpkgs#hello", "github:owner/repo", "github:owner/repo#", "github:owner/repo#a b",
      "github:owner/repo#a\n", "git+http://example.org/repo#web", "git+http://127.0.0.1.nip.io/r#web",
      "git+https://user:token@example.org/repo#web", "http://example.org/x.tar.gz#hello", "hg+https://example.org/r#a", "",
  })
  void aMalformedFlakeReferenceIs400AndNothingIsLaunched(String flake) {
    ApiResponse response = create(allowing(), Map.of("nix_flake", flake));

    assertEquals(400, response.status(), response.bodyText());
    assertEquals("invalid_flake_ref", code(response));
    assertEquals(1, response.body().path("error").path("message").asText().lines().count(), response.bodyText());
    assertEquals(List.of(), instances());
  }

  @Test
  void aFlakeReferenceOverOneKibibyteIs400() {
    ApiResponse response = create(allowing(), Map.of("nix_flake", "git+https://example.org/" + "r".repeat(1024) + "#a"));

    assertEquals(400, response.status(), response.bodyText());
    assertEquals("invalid_flake_ref", code(response));
    assertEquals(List.of(), instances());
  }

  @Test
  void malformedPackagesAre400AndNothingIsLaunched() {
    for (List<String> packages : List.of(List.<String>of(), List.of("nixpkgs#jq"), List.of("jq", "-x"), List.of("a b"),
        Collections.nCopies(33, "jq"))) {
      ApiResponse response = create(allowing(), Map.of("nix_packages", packages, "args", List.of("true")));
      assertEquals(400, response.status(), packages + ": " + response.bodyText());
      assertEquals("invalid_packages", code(response), response.bodyText());
    }
    assertEquals(List.of(), instances());
  }

  @Test
  void packagesNeedACommand() {
    for (Map<String, Object> body : List.<Map<String, Object>>of(
        Map.of("nix_packages", List.of("jq")), Map.of("nix_packages", List.of("jq"), "args", List.of()))) {
      ApiResponse response = create(allowing(), body);
      assertEquals(400, response.status(), response.bodyText());
      assertEquals("missing_command", code(response));
    }
    assertEquals(List.of(), instances());
  }

  @Test
  void atMostOneWorkload() {
    String toplevel = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system";
    List<Map<String, Object>> bodies = List.of(
        Map.of("nix_flake", "github:o/r#a", "nix_packages", List.of("jq"), "args", List.of("jq")),
        Map.of("nix_flake", "github:o/r#a", "nix_toplevel", toplevel),
        Map.of("nix_packages", List.of("jq"), "nix_binary", toplevel + "/bin/x", "args", List.of("jq")));
    for (Map<String, Object> body : bodies) {
      ApiResponse response = create(allowing(), body);
      assertEquals(400, response.status(), response.bodyText());
      assertEquals("both_paths", code(response));
    }
    assertEquals(List.of(), instances());
  }

  @Test
  void withoutTheOptInBuildsOnTheVmAre403AndNothingIsLaunched() {
    for (String allow : new String[] {null, "false"}) {
      Map<String, String> env = TestEnv.base();
      if (allow != null) {
        env.put("THEBACKND_ALLOW_VM_BUILDS", allow);
      }
      for (Map<String, Object> body : List.<Map<String, Object>>of(
          Map.of("nix_flake", "github:owner/repo#web"), Map.of("nix_packages", List.of("jq"), "args", List.of("jq", ".")))) {
        ApiResponse response = create(env, body);
        assertEquals(403, response.status(), response.bodyText());
        assertEquals("vm_builds_disabled", code(response));
        assertTrue(response.body().path("error").path("message").asText().contains("THEBACKND_ALLOW_VM_BUILDS"), response.bodyText());
      }
    }
    assertEquals(List.of(), instances());
  }

  @Test
  void malformedInputIs400EvenWithoutTheOptIn() {
    ApiResponse response = create(TestEnv.base(), Map.of("nix_flake", "path:.#web"));

    assertEquals(400, response.status(), response.bodyText());
    assertEquals("invalid_flake_ref", code(response));
  }

  @Test
  void upstreamCachesAreCheckedAtStartUp() {
    for (String bad : List.of("https://cache.nixos.org", "https://cache.nixos.org=nokey", "ftp://x=" + NIXOS_KEY,
        "https://cache.nixos.org=" + NIXOS_KEY.substring(0, 30), "=" + NIXOS_KEY)) {
      Map<String, String> env = allowing();
      env.put("THEBACKND_UPSTREAM_CACHES", bad);
      ConfigException refused = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> Config.fromEnvironment(env));
      assertTrue(refused.getMessage().startsWith("THEBACKND_UPSTREAM_CACHES "), refused.getMessage());
    }
    Map<String, String> env = allowing();
    env.put("THEBACKND_ALLOW_VM_BUILDS", "maybe");
    ConfigException refused = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> Config.fromEnvironment(env));
    assertTrue(refused.getMessage().startsWith("THEBACKND_ALLOW_VM_BUILDS "), refused.getMessage());
  }

  private static Map<String, String> allowing() {
    Map<String, String> env = TestEnv.base();
    env.put("THEBACKND_ALLOW_VM_BUILDS", "true");
    return env;
  }

  private static ApiResponse create(Map<String, String> env, Map<String, ?> body) {
    return App.fromEnvironment(env).api().handle(Route.CREATE, Json.write(body));
  }

  private static String code(ApiResponse response) {
    return response.body().path("error").path("code").asText();
  }

  private static List<String> strings(JsonNode array) {
    assertTrue(array.isArray(), String.valueOf(array));
    return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  private static List<Instance> instances() {
    return Moto.clients().ec2().describeInstances().reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  private static Instance onlyInstance() {
    List<Instance> instances = instances();
    assertEquals(1, instances.size(), instances.toString());
    return instances.get(0);
  }

  private static Map<String, String> tags(Instance instance) {
    return instance.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> a, LinkedHashMap::new));
  }

  private static JsonNode userData(Instance instance) {
    String base64 = Moto.clients().ec2()
        .describeInstanceAttribute(r -> r.instanceId(instance.instanceId()).attribute("userData")).userData().value();
    return Json.parse(new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8));
  }
}
