package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import thebacknd.Json;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;

/**
 * Bad requests over real HTTP to the local server: each gets its status and error code, one line,
 * no stack trace, and EC2 is exactly as before (nothing launched, terminated or tagged).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedRequestsTest {

  private static final String HASH = "3r733qcrl5pn9a5l07cn9awh676aiics";
  private static final String GOOD = "/nix/store/" + HASH + "-hello";

  private final HttpClient http = HttpClient.newHttpClient();
  private LocalServer server;
  private Ec2Fixture ec2;
  private String vmId;
  private String otherVmId;
  private Set<String> liveBefore;
  private int instancesBefore;
  private Map<String, String> tagsBefore;

  /** One malformed request and what it must get back. */
  record Case(String label, String method, String path, String body, int status, String code) {
    @Override
    public String toString() {
      return label;
    }
  }

  @BeforeAll
  void startServerWithTwoVms() throws Exception {
    Moto.reset();
    Map<String, String> env = TestEnv.base();
    Api api = App.fromEnvironment(env).api();
    vmId = api.handle(Route.CREATE, "{}").body().path("vm").path("vm_id").asText();
    otherVmId = api.handle(Route.CREATE, "{}").body().path("vm").path("vm_id").asText();
    server = new LocalServer(api, "127.0.0.1", 0);
    server.start();
    ec2 = new Ec2Fixture();
    liveBefore = ec2.liveIds();
    instancesBefore = ec2.all().size();
    tagsBefore = allTags();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  Stream<Case> cases() {
    String code = killCode(vmId);
    List<Case> cases = new ArrayList<>();
    // Bodies that are not what the route reads.
    cases.add(post("not JSON at all", "/create", "this is not json", 400, "malformed_json"));
    cases.add(post("truncated JSON", "/create", "{\"nix_toplevel\": ", 400, "malformed_json"));
    cases.add(post("a JSON array", "/create", "[]", 400, "body_not_object"));
    cases.add(post("JSON nested 1,001 deep", "/create", "[".repeat(1001) + "]".repeat(1001), 400, "malformed_json"));
    cases.add(post("a JSON string", "/create", "\"/nix/store/x\"", 400, "body_not_object"));
    cases.add(post("unknown field", "/create", "{\"nix_toplevel\": \"" + GOOD + "\", \"user_data\": \"x\"}", 400, "unknown_field"));
    cases.add(post("toplevel is a number", "/create", "{\"nix_toplevel\": 42}", 400, "wrong_type"));
    cases.add(post("ttl is a string", "/create", "{\"ttl_minutes\": \"60\"}", 400, "wrong_type"));
    cases.add(post("ttl is a fraction", "/create", "{\"ttl_minutes\": 1.5}", 400, "wrong_type"));
    cases.add(post("ttl overflows an int", "/create", "{\"ttl_minutes\": 99999999999}", 400, "wrong_type"));
    cases.add(post("instance type is a list", "/create", "{\"instance_type\": [\"t3.micro\"]}", 400, "wrong_type"));
    // Store paths.
    cases.add(createWith("traversal out of the store", "/nix/store/../etc/passwd", 400, "invalid_store_path"));
    cases.add(createWith("shell metacharacters", GOOD + ";rm -rf /", 400, "invalid_store_path"));
    cases.add(createWith("command substitution", "/nix/store/" + HASH + "-$(reboot)", 400, "invalid_store_path"));
    cases.add(createWith("newline in the name", GOOD + "\nexport X=1", 400, "invalid_store_path"));
    cases.add(createWith("invalid base32 (e, o, u, t)", "/nix/store/3r733qcrl5pn9a5l07cn9awh676aeout-hello", 400, "invalid_store_path"));
    cases.add(createWith("uppercase hash", "/nix/store/" + HASH.toUpperCase() + "-hello", 400, "invalid_store_path"));
    cases.add(createWith("hash too short", "/nix/store/3r733qcrl5pn9a5l07cn9awh676aiic-hello", 400, "invalid_store_path"));
    cases.add(createWith("overlong name (212)", "/nix/store/" + HASH + "-" + "a".repeat(212), 400, "invalid_store_path"));
    cases.add(createWith("name starts with a dot", "/nix/store/" + HASH + "-.hidden", 400, "invalid_store_path"));
    cases.add(createWith("another store dir", "/gnu/store/" + HASH + "-hello", 400, "invalid_store_path"));
    cases.add(createWith("a sub-path as toplevel", GOOD + "/bin/hello", 400, "invalid_store_path"));
    cases.add(post("binary escaping its store path", "/create", Json.write(Map.of("nix_binary", GOOD + "/../../etc/shadow")), 400, "invalid_binary_path"));
    cases.add(post("binary with an empty component", "/create", Json.write(Map.of("nix_binary", GOOD + "/bin//hello")), 400, "invalid_binary_path"));
    cases.add(post("binary with a trailing slash", "/create", Json.write(Map.of("nix_binary", GOOD + "/bin/")), 400, "invalid_binary_path"));
    cases.add(post("binary with a backtick", "/create", Json.write(Map.of("nix_binary", GOOD + "/bin/`id`")), 400, "invalid_binary_path"));
    cases.add(post("both paths at once", "/create", Json.write(Map.of("nix_toplevel", GOOD, "nix_binary", GOOD + "/bin/hello")), 400, "both_paths"));
    // Bounds.
    cases.add(post("ttl of zero", "/create", "{\"ttl_minutes\": 0}", 400, "ttl_out_of_range"));
    cases.add(post("negative ttl", "/create", "{\"ttl_minutes\": -5}", 400, "ttl_out_of_range"));
    cases.add(post("ttl above the maximum", "/create", "{\"ttl_minutes\": 721}", 400, "ttl_out_of_range"));
    cases.add(post("instance type not allowed", "/create", "{\"instance_type\": \"p5.48xlarge\"}", 400, "instance_type_not_allowed"));
    cases.add(post("instance type with a newline", "/create", Json.write(Map.of("instance_type", "t3.micro\nX-Injected: 1" + "x".repeat(500))), 400, "instance_type_not_allowed"));
    cases.add(post("body over 16 KiB", "/create", "{\"nix_toplevel\": \"" + "a".repeat(17 * 1024) + "\"}", 413, "body_too_large"));
    // Calls from VMs.
    cases.add(post("wrong kill code", "/destroy-self", selfBody(vmId, "0".repeat(64)), 403, "bad_kill_code"));
    cases.add(post("short kill code", "/destroy-self", selfBody(vmId, code.substring(0, 10)), 403, "bad_kill_code"));
    cases.add(post("another VM's kill code", "/destroy-self", selfBody(vmId, killCode(otherVmId)), 403, "bad_kill_code"));
    cases.add(post("uppercased kill code", "/destroy-self", selfBody(vmId, code.toUpperCase()), 403, "bad_kill_code"));
    cases.add(post("vm_id not a UUID", "/destroy-self", selfBody("../../i-0123", code), 400, "invalid_vm_id"));
    cases.add(post("missing kill code", "/destroy-self", Json.write(Map.of("vm_id", vmId)), 400, "missing_field"));
    cases.add(post("kill code is a number", "/destroy-self", "{\"vm_id\": \"" + vmId + "\", \"vm_killcode\": 123}", 400, "wrong_type"));
    cases.add(post("report with an unknown phase", "/report", Json.write(Map.of("vm_id", vmId, "vm_killcode", code, "phase", "hacked")), 400, "invalid_phase"));
    cases.add(post("report with a wrong kill code", "/report", Json.write(Map.of("vm_id", vmId, "vm_killcode", killCode(otherVmId), "phase", "running")), 403, "bad_kill_code"));
    cases.add(post("report detail too long", "/report", Json.write(Map.of("vm_id", vmId, "vm_killcode", code, "phase", "failed", "detail", "x".repeat(300))), 400, "detail_too_long"));
    cases.add(post("dry_run is a string", "/destroy-all", "{\"dry_run\": \"yes\"}", 400, "wrong_type"));
    cases.add(post("destroy without a name", "/destroy", "{}", 400, "missing_field"));
    cases.add(post("destroy a name with a newline", "/destroy", Json.write(Map.of("name", "thebacknd-1\nthebacknd-2")), 404, "vm_not_found"));
    // Routes and methods.
    cases.add(new Case("GET on a POST route", "GET", "/create", null, 405, "method_not_allowed"));
    cases.add(new Case("POST on a GET route", "POST", "/list", "{}", 405, "method_not_allowed"));
    cases.add(post("unknown route", "/terminate", "{}", 404, "not_found"));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isRefusedWithItsStatusAndCodeAndTouchesNothing(Case c) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + c.path()));
    request.method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(c.body()));
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());

    assertEquals(c.status(), response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    JsonNode error = Json.parse(response.body()).path("error");
    assertEquals(c.code(), error.path("code").asText(), response.body());
    String message = error.path("message").asText();
    assertFalse(message.isBlank());
    assertFalse(message.contains("\n") || message.contains("Exception") || message.contains("\tat "), message);
    assertTrue(message.length() <= 400, "one sentence, not an echo of the body: " + message.length());

    assertEquals(instancesBefore, ec2.all().size(), "nothing launched");
    assertEquals(liveBefore, ec2.liveIds(), "nothing terminated");
    assertEquals(tagsBefore, allTags(), "nothing tagged");
  }

  @Test
  void aWrongMethodNamesTheAllowedOne() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/create")).GET().build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertEquals(405, response.statusCode());
    assertEquals("POST", response.headers().firstValue("Allow").orElse(""));
  }

  @Test
  void thereAreAtLeast25Cases() {
    assertTrue(cases().count() >= 25);
  }

  private Map<String, String> allTags() {
    Map<String, String> tags = new TreeMap<>();
    ec2.all().values().forEach(i -> Ec2Fixture.tags(i).forEach((k, v) -> tags.put(i.instanceId() + "/" + k, v)));
    return tags;
  }

  private static Case post(String label, String path, String body, int status, String code) {
    return new Case(label, "POST", path, body, status, code);
  }

  private static Case createWith(String label, String toplevel, int status, String code) {
    return post(label, "/create", Json.write(Map.of("nix_toplevel", toplevel)), status, code);
  }

  private static String selfBody(String vmId, String code) {
    return Json.write(Map.of("vm_id", vmId, "vm_killcode", code));
  }

  private static String killCode(String vmId) {
    return new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
  }
}
