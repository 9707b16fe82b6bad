package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.testing.MotoTest;

/** The three shapes a function is invoked with: HTTP API v2 event, direct payload, schedule event. */
class LambdaHandlerTest extends MotoTest {

  /** An HTTP API payload format 2.0 event as API Gateway sends it (trimmed sample from the AWS docs). */
  private static String httpEvent(String method, String path, String body, boolean base64) {
    String encoded = body == null ? null : base64 ? Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)) : body;
    return Json.write(Json.MAPPER.createObjectNode()
        .put("version", "2.0")
        .put("routeKey", method + " " + path)
        .put("rawPath", path)
        .put("rawQueryString", "")
        .<com.fasterxml.jackson.databind.node.ObjectNode>set("headers", Json.MAPPER.createObjectNode()
            .put("content-type", "application/json").put("host", "abc123.execute-api.us-east-1.amazonaws.com"))
        .<com.fasterxml.jackson.databind.node.ObjectNode>set("requestContext", Json.MAPPER.createObjectNode()
            .put("accountId", "123456789012").put("apiId", "abc123").put("stage", "$default")
            .put("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
            .<com.fasterxml.jackson.databind.node.ObjectNode>set("http", Json.MAPPER.createObjectNode()
                .put("method", method).put("path", path).put("protocol", "HTTP/1.1").put("sourceIp", "192.0.2.1")))
        .put("body", encoded)
        .put("isBase64Encoded", base64));
  }

  private static final String SCHEDULER_EVENT =
      "{\"version\":\"0\",\"id\":\"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa\",\"detail-type\":\"Scheduled Event\","
          + "\"source\":\"aws.scheduler\",\"account\":\"123456789012\",\"time\":\"2026-11-23T10:00:00Z\","
          + "\"region\":\"us-east-1\",\"resources\":[\"arn:aws:scheduler:us-east-1:123456789012:schedule/default/thebacknd-destroy-old\"],\"detail\":{}}";

  private String invoke(Route route, String payload) throws Exception {
    LambdaHandler handler = new LambdaHandler(route, api()) {};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(payload.getBytes(StandardCharsets.UTF_8)), out, null);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anHttpApiEventGetsAnHttpApiResponse() throws Exception {
    ec2.launchOurs(1, Instant.now().plusSeconds(600));
    JsonNode response = Json.parse(invoke(Route.LIST, httpEvent("GET", "/list", null, false)));
    assertEquals(200, response.path("statusCode").asInt());
    assertEquals("application/json", response.path("headers").path("content-type").asText());
    assertEquals(1, Json.parse(response.path("body").asText()).path("vms").size());
  }

  @Test
  void aBase64BodyIsDecoded() throws Exception {
    JsonNode response = Json.parse(invoke(Route.CREATE, httpEvent("POST", "/create", "{\"ttl_minutes\": 5}", true)));
    assertEquals(201, response.path("statusCode").asInt(), response.toString());
    assertEquals("thebacknd-1", Json.parse(response.path("body").asText()).path("vm").path("name").asText());
  }

  @Test
  void theWrongMethodIs405AndABigBodyIs413() throws Exception {
    assertEquals(405, Json.parse(invoke(Route.CREATE, httpEvent("GET", "/create", null, false))).path("statusCode").asInt());
    String big = "{\"x\": \"" + "a".repeat(20_000) + "\"}";
    assertEquals(413, Json.parse(invoke(Route.CREATE, httpEvent("POST", "/create", big, false))).path("statusCode").asInt());
    assertEquals(0, ec2.all().size());
  }

  /** What API Gateway's $default route sends: a request that matched none of the routes. */
  private static String unmatchedEvent(String method, String path, String body) {
    return Json.write(((com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(httpEvent(method, path, body, false)))
        .put("routeKey", LambdaHandler.DEFAULT_ROUTE));
  }

  @Test
  void whatMatchedNoRouteGets404Or405AndTouchesNothing() throws Exception {
    String live = ec2.launchOurs(1, Instant.now().plusSeconds(600));
    JsonNode unknown = Json.parse(invoke(Route.LIST, unmatchedEvent("GET", "/nope", null)));
    assertEquals(404, unknown.path("statusCode").asInt(), unknown.toString());
    JsonNode notFound = Json.parse(unknown.path("body").asText()).path("error");
    assertEquals("not_found", notFound.path("code").asText());
    assertEquals("No route /nope.", notFound.path("message").asText());

    JsonNode wrongMethod = Json.parse(invoke(Route.LIST, unmatchedEvent("GET", "/destroy-all", null)));
    assertEquals(405, wrongMethod.path("statusCode").asInt(), wrongMethod.toString());
    assertEquals("POST", wrongMethod.path("headers").path("Allow").asText());
    assertEquals("method_not_allowed", Json.parse(wrongMethod.path("body").asText()).path("error").path("code").asText());

    // Even a route's own method and path, should one ever arrive as unmatched, is dispatched nowhere.
    JsonNode list = Json.parse(invoke(Route.LIST, unmatchedEvent("GET", "/list", null)));
    assertEquals(404, list.path("statusCode").asInt(), list.toString());
    JsonNode destroy = Json.parse(invoke(Route.LIST, unmatchedEvent("POST", "/destroy-all", "{}")));
    assertEquals(404, destroy.path("statusCode").asInt(), destroy.toString());
    assertEquals("running", ec2.state(live));
  }

  @Test
  void aWrongMethodNamesTheAllowedOneAsTheLocalServerDoes() throws Exception {
    JsonNode response = Json.parse(invoke(Route.LIST, httpEvent("POST", "/list", "{}", false)));
    assertEquals(405, response.path("statusCode").asInt());
    assertEquals("GET", response.path("headers").path("Allow").asText(), response.toString());
    assertEquals("method_not_allowed", Json.parse(response.path("body").asText()).path("error").path("code").asText());
  }

  @Test
  void aDirectPayloadIsTheBodyAndTheAnswerIsTheJsonBody() throws Exception {
    String kept = ec2.launchOurs(1, Instant.now().plusSeconds(600));
    JsonNode answer = Json.parse(invoke(Route.DESTROY_ALL, "{\"dry_run\": true}"));
    assertTrue(answer.path("dry_run").asBoolean());
    assertEquals(1, answer.path("destroyed").size());
    assertEquals(Set.of(kept), ec2.liveIds());

    JsonNode error = Json.parse(invoke(Route.CREATE, "{\"nix_toplevel\": \"/etc/passwd\"}"));
    assertEquals("invalid_store_path", error.path("error").path("code").asText());
    JsonNode nested = Json.parse(invoke(Route.CREATE, "[".repeat(1001) + "]".repeat(1001)));
    assertEquals("malformed_json", nested.path("error").path("code").asText());
    JsonNode garbage = Json.parse(invoke(Route.LIST, "not json"));
    assertEquals(1, garbage.path("vms").size(), "list ignores whatever payload it is given");
  }

  @Test
  void theScheduleEventRunsDestroyOld() throws Exception {
    String fresh = ec2.launchOurs(1, Instant.now().plusSeconds(600));
    String expired = ec2.launchOurs(2, Instant.now().minusSeconds(600));
    JsonNode answer = Json.parse(invoke(Route.DESTROY_OLD, SCHEDULER_EVENT));
    assertEquals(expired, answer.path("destroyed").get(0).path("instance_id").asText());
    assertEquals(Set.of(fresh), ec2.liveIds());
  }

  @Test
  void theScheduleEventTopsUpThePool() throws Exception {
    env.put("THEBACKND_POOL", "t3.micro=2");
    JsonNode answer = Json.parse(invoke(Route.POOL, SCHEDULER_EVENT));
    assertEquals(2, answer.path("launched").size(), answer.toString());
    assertEquals(2, ec2.liveIds().size());
    assertEquals(0, Json.parse(invoke(Route.POOL, SCHEDULER_EVENT)).path("launched").size(), "full: nothing more");
  }

  @Test
  void aScheduleEventSentToCreateIsJustABadBody() throws Exception {
    JsonNode answer = Json.parse(invoke(Route.CREATE, SCHEDULER_EVENT));
    assertEquals("unknown_field", answer.path("error").path("code").asText());
    assertEquals(0, ec2.all().size());
  }
}
