package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.MotoTest;
import thebacknd.vm.VmTags;

/**
 * Who created a VM (DESIGN §4 {@code owner}): the IAM ARN API Gateway authenticated, or the local
 * user of {@code serve} and {@code --local}; kept as the {@code thebacknd:owner} tag (read back
 * from moto), never taken from the body; {@code GET /list?owner=me} shows the caller's own.
 */
class OwnerTest extends MotoTest {

  private static final String ALICE = "arn:aws:iam::123456789012:user/alice";
  private static final String BOB = "arn:aws:sts::123456789012:assumed-role/Developer/bob@example.com";

  @Test
  void theCallerApiGatewayAuthenticatedOwnsWhatItCreatesAndListsItsOwn() throws Exception {
    JsonNode alices = body(invoke(Route.CREATE, event("POST", "/create", Map.of(), "{}", ALICE))).path("vm");
    JsonNode bobs = body(invoke(Route.CREATE, event("POST", "/create", Map.of(), "{}", BOB))).path("vm");
    assertEquals(ALICE, alices.path("owner").asText());
    assertEquals(ALICE, tags(alices).get(VmTags.OWNER), "kept as a tag on the instance");
    assertEquals(BOB, tags(bobs).get(VmTags.OWNER));

    JsonNode mine = body(invoke(Route.LIST, event("GET", "/list", Map.of("owner", "me"), null, BOB)));
    assertEquals(List.of(bobs.path("vm_id").asText()), vmIds(mine.path("vms")));
    assertEquals(BOB, mine.path("vms").get(0).path("owner").asText());
    JsonNode everyone = body(invoke(Route.LIST, event("GET", "/list", Map.of(), null, BOB)));
    assertEquals(2, everyone.path("vms").size());
  }

  @Test
  void anOwnerInTheBodyIsRefusedAndAnUnknownCallerOwnsNothing() throws Exception {
    JsonNode forged = Json.parse(invoke(Route.CREATE, event("POST", "/create", Map.of(), "{\"owner\": \"" + BOB + "\"}", ALICE)));
    assertEquals(400, forged.path("statusCode").asInt());
    assertEquals("unknown_field", body(forged).path("error").path("code").asText());
    assertEquals(Map.of(), ec2.all());

    // A direct invocation: no caller known, no owner recorded, and no "me" to list.
    JsonNode direct = Json.parse(invoke(Route.CREATE, "{}")).path("vm");
    assertTrue(direct.path("owner").isNull());
    assertTrue(!tags(direct).containsKey(VmTags.OWNER));
    JsonNode noMe = Json.parse(invoke(Route.LIST, "{\"owner\": \"me\"}"));
    assertEquals("caller_unknown", noMe.path("error").path("code").asText(), noMe.toString());
    JsonNode other = body(invoke(Route.LIST, event("GET", "/list", Map.of("owner", "alice"), null, ALICE)));
    assertEquals("invalid_owner", other.path("error").path("code").asText());
  }

  @Test
  void aVeryLongArnIsCutToATagValueAndStillListsAsMine() throws Exception {
    String longArn = "arn:aws:sts::123456789012:assumed-role/" + "a-very-long-path/".repeat(20) + "Role/session";
    JsonNode vm = body(invoke(Route.CREATE, event("POST", "/create", Map.of(), "{}", longArn))).path("vm");
    assertEquals(VmTags.MAX_TAG_VALUE, tags(vm).get(VmTags.OWNER).length());
    assertTrue(longArn.startsWith(tags(vm).get(VmTags.OWNER)));
    JsonNode mine = body(invoke(Route.LIST, event("GET", "/list", Map.of("owner", "me"), null, longArn)));
    assertEquals(1, mine.path("vms").size());
  }

  @Test
  void thebackndServeActsForTheUserWhoRunsIt() throws Exception {
    try (LocalServer server = new LocalServer(api(), "127.0.0.1", 0, "carol")) {
      server.start();
      HttpClient http = HttpClient.newHttpClient();
      URI base = URI.create("http://127.0.0.1:" + server.port());
      HttpResponse<String> created = http.send(HttpRequest.newBuilder(base.resolve("/create")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(201, created.statusCode(), created.body());
      assertEquals("carol", Json.parse(created.body()).path("vm").path("owner").asText());
      ec2.launchOurs(7, java.time.Instant.now().plusSeconds(600)); // someone else's
      HttpResponse<String> mine = http.send(HttpRequest.newBuilder(base.resolve("/list?owner=me")).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(1, Json.parse(mine.body()).path("vms").size(), mine.body());
    }
  }

  /** An HTTP API payload format 2.0 event of an IAM-authorized route, as API Gateway sends it. */
  private static String event(String method, String path, Map<String, String> query, String body, String userArn) {
    ObjectNode event = Json.object().put("version", "2.0").put("routeKey", method + " " + path).put("rawPath", path);
    if (!query.isEmpty()) {
      ObjectNode parameters = event.putObject("queryStringParameters");
      query.forEach(parameters::put);
    }
    ObjectNode context = event.putObject("requestContext").put("accountId", "123456789012").put("apiId", "abc123").put("stage", "$default");
    context.putObject("http").put("method", method).put("path", path).put("sourceIp", "192.0.2.1");
    context.putObject("authorizer").putObject("iam")
        .put("accessKey", "AKIAIOSFODNN7EXAMPLE").put("accountId", "123456789012").put("callerId", "AIDACKCEVSQ6C2EXAMPLE")
        .put("userArn", userArn).put("userId", "AIDACKCEVSQ6C2EXAMPLE");
    if (body != null) {
      event.put("body", body);
    }
    return Json.write(event.put("isBase64Encoded", false));
  }

  private String invoke(Route route, String payload) throws Exception {
    LambdaHandler handler = new LambdaHandler(route, api()) {};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(payload.getBytes(StandardCharsets.UTF_8)), out, null);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static JsonNode body(String httpResponse) {
    return body(Json.parse(httpResponse));
  }

  private static JsonNode body(JsonNode httpResponse) {
    return Json.parse(httpResponse.path("body").asText());
  }

  private Map<String, String> tags(JsonNode vm) {
    return Ec2Fixture.tags(ec2.all().get(vm.path("instance_id").asText()));
  }

  private static List<String> vmIds(JsonNode vms) {
    return java.util.stream.StreamSupport.stream(vms.spliterator(), false).map(v -> v.path("vm_id").asText()).toList();
  }
}
