package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.iam.IamClient;
import thebacknd.Json;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;
import thebacknd.testing.TestEnv;

/** The launch request as EC2 recorded it, read back from moto. */
class LaunchRequestTest extends MotoTest {

  private static final String TOPLEVEL = "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05";

  @Test
  void theLaunchIsLockedDownTaggedAndCarriesNoCredentials() {
    Ec2Client client = ec2.ec2();
    String profileArn = instanceProfile("thebacknd-vm");
    String subnet = client.describeSubnets().subnets().get(0).subnetId();
    String group = client.describeSecurityGroups().securityGroups().get(0).groupId();
    client.createKeyPair(r -> r.keyName("dev-key"));
    env.put("THEBACKND_INSTANCE_PROFILE", "thebacknd-vm");
    env.put("THEBACKND_SUBNET_ID", subnet);
    env.put("THEBACKND_SECURITY_GROUP_IDS", group);
    env.put("THEBACKND_KEY_NAME", "dev-key");
    env.put("THEBACKND_API_URL", "https://api.example.com/prod");

    JsonNode vm = createdVm(json(Map.of("nix_toplevel", TOPLEVEL)));
    Instance instance = ec2.all().get(vm.path("instance_id").asText());

    // IMDSv2 only, no hops beyond the VM, tags readable from inside.
    assertEquals("required", instance.metadataOptions().httpTokensAsString());
    assertEquals(1, instance.metadataOptions().httpPutResponseHopLimit());
    assertEquals("enabled", instance.metadataOptions().instanceMetadataTagsAsString());
    assertEquals("enabled", instance.metadataOptions().httpEndpointAsString());
    assertEquals(
        "terminate",
        client.describeInstanceAttribute(r -> r.instanceId(instance.instanceId()).attribute(InstanceAttributeName.INSTANCE_INITIATED_SHUTDOWN_BEHAVIOR))
            .instanceInitiatedShutdownBehavior().value());
    assertEquals(profileArn, instance.iamInstanceProfile().arn());
    assertEquals(subnet, instance.subnetId());
    assertEquals(List.of(group), instance.securityGroups().stream().map(g -> g.groupId()).toList());
    assertEquals("dev-key", instance.keyName());

    Map<String, String> tags = Ec2Fixture.tags(instance);
    String vmId = vm.path("vm_id").asText();
    assertEquals("true", tags.get("thebacknd"));
    assertEquals("thebacknd-1", tags.get("Name"));
    assertEquals(vmId, tags.get("thebacknd:vm-id"));
    assertEquals(vm.path("expires_at").asText(), tags.get("thebacknd:expires-at"));
    assertEquals(TOPLEVEL, tags.get("thebacknd:toplevel"));
    assertFalse(tags.containsKey("thebacknd:binary"));
    List<Volume> volumes = client.describeVolumes(r -> r.filters(f -> f.name("attachment.instance-id").values(instance.instanceId()))).volumes();
    assertFalse(volumes.isEmpty());
    for (Volume volume : volumes) {
      Map<String, String> volumeTags = new HashMap<>();
      volume.tags().forEach(t -> volumeTags.put(t.key(), t.value()));
      assertEquals("true", volumeTags.get("thebacknd"), "volumes are tagged at launch too");
      assertEquals(vmId, volumeTags.get("thebacknd:vm-id"));
    }

    String userDataText = new String(Base64.getDecoder().decode(
        client.describeInstanceAttribute(r -> r.instanceId(instance.instanceId()).attribute(InstanceAttributeName.USER_DATA)).userData().value()),
        StandardCharsets.UTF_8);
    assertTrue(userDataText.getBytes(StandardCharsets.UTF_8).length <= 16 * 1024);
    JsonNode userData = Json.parse(userDataText);
    Set<String> fields = new TreeSet<>();
    userData.fieldNames().forEachRemaining(fields::add);
    assertEquals(new TreeSet<>(List.of("thebacknd", "vm_id", "vm_killcode", "name", "nix_toplevel", "nix_binary",
        "nix_args", "nix_cache", "nix_trusted_key", "api_url", "expires_at", "failed_keep_minutes", "nix_flake", "nix_packages",
        "nix_upstream_caches")), fields);
    assertTrue(userData.path("nix_flake").isNull() && userData.path("nix_packages").isNull(), userDataText);
    assertEquals(Json.parse("[]"), userData.path("nix_upstream_caches"));
    assertEquals(1, userData.path("thebacknd").asInt());
    assertEquals(vmId, userData.path("vm_id").asText());
    assertEquals(new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId), userData.path("vm_killcode").asText());
    assertEquals("thebacknd-1", userData.path("name").asText());
    assertEquals(TOPLEVEL, userData.path("nix_toplevel").asText());
    assertTrue(userData.path("nix_binary").isNull());
    assertTrue(userData.path("nix_args").isNull(), "a toplevel has no arguments");
    assertEquals(env.get("NIX_CACHE"), userData.path("nix_cache").asText());
    assertEquals(env.get("NIX_TRUSTED_KEY"), userData.path("nix_trusted_key").asText());
    assertEquals("https://api.example.com/prod", userData.path("api_url").asText());
    assertEquals(vm.path("expires_at").asText(), userData.path("expires_at").asText());
    assertEquals(15, userData.path("failed_keep_minutes").asInt(), "THEBACKND_FAILED_KEEP_MINUTES' default");

    // No credentials of any kind: not the kill-code key, not AWS keys.
    for (String secret : List.of(TestEnv.SECRET, env.get("AWS_SECRET_ACCESS_KEY"), "AKIA", "ASIA", "aws_access_key", "aws_secret", "session_token")) {
      assertFalse(userDataText.toLowerCase().contains(secret.toLowerCase()), "user-data contains " + secret);
    }
  }

  private static String instanceProfile(String name) {
    try (IamClient iam = IamClient.builder().region(Region.AWS_GLOBAL).endpointOverride(Moto.endpoint())
        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build()) {
      return iam.createInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile().arn();
    }
  }
}
