package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.MotoTest;
import thebacknd.testing.Poll;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;
import thebacknd.vm.VmTags;

/**
 * {@code thebacknd serve} with a warm pool, over real HTTP: it fills the pool at start (and every
 * minute), and a pooled VM's agent reaches {@code /report} and {@code /claim} through it; the
 * create that claims it answers from the pool.
 */
class ServePoolTest extends MotoTest {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void serveFillsThePoolAtStartAndAPooledVmIsClaimedThroughIt() throws Exception {
    env.put("THEBACKND_POOL", "t3.micro=2");
    try (App app = App.fromEnvironment(Map.copyOf(env)); LocalServer server = new LocalServer(app.api(), "127.0.0.1", 0, "tester")) {
      server.start();
      URI base = URI.create("http://127.0.0.1:" + server.port());
      Poll.until(Duration.ofSeconds(30), () -> pooledLive() == 2, "serve to fill the pool at start");
      JsonNode dry = post(base, "/pool", "{\"dry_run\": true}");
      assertEquals(2, dry.path("starting").asInt(), dry.toString());
      assertEquals(Json.parse("{\"t3.micro\": 2}"), dry.path("configured"));

      JsonNode pooled = get(base, "/list").path("vms").get(0);
      String vmId = pooled.path("vm_id").asText();
      String code = new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
      String credentials = "\"vm_id\": \"" + vmId + "\", \"vm_killcode\": \"" + code + "\"";
      assertEquals("pooled", post(base, "/report", "{" + credentials + ", \"phase\": \"pooled\"}").path("phase").asText());
      assertTrue(post(base, "/claim", "{" + credentials + "}").path("assignment").isNull());

      JsonNode vm = post(base, "/create", "{}").path("vm");
      assertTrue(vm.path("from_pool").asBoolean(), vm.toString());
      assertEquals(vmId, vm.path("vm_id").asText());
      assertEquals("tester", vm.path("owner").asText());
      assertEquals(vm.path("name").asText(), post(base, "/claim", "{" + credentials + "}").path("assignment").path("name").asText());
      Poll.until(Duration.ofSeconds(30), () -> pooledLive() == 3, "the replacement (2 pooled + the claimed one)");
      FleetCheck.assertNoOrphans();
    }
  }

  private long pooledLive() {
    return FleetCheck.live().values().stream().filter(i -> Ec2Fixture.tags(i).containsKey(VmTags.POOL)).count();
  }

  private JsonNode post(URI base, String path, String body) throws Exception {
    HttpResponse<String> answer = http.send(
        HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(answer.statusCode() / 100 == 2, path + " answered " + answer.statusCode() + ": " + answer.body());
    return Json.parse(answer.body());
  }

  private JsonNode get(URI base, String path) throws Exception {
    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    return Json.parse(answer.body());
  }
}
