package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.edge.Route;
import thebacknd.edge.LocalServer;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;
import thebacknd.testing.Poll;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;
import thebacknd.vm.VmTags;

/**
 * {@code extend}, {@code run --type a,b,c --spot}, {@code list}'s OWNER and {@code --mine}, and
 * {@code run --wait} meeting a spot interruption, through the real CLI against {@code serve}
 * (run by "carol") on moto.
 */
class LifetimeCapacityCliTest extends MotoTest {

  private static final String PROGRAM = "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05/bin/hello";

  private LocalServer server;
  private Map<String, String> cliEnv;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void serve() throws Exception {
    env.put("THEBACKND_ALLOWED_INSTANCE_TYPES", "t3.small,t3.medium");
    Moto.clients().s3().createBucket(r -> r.bucket("thebacknd-output"));
    env.put("THEBACKND_OUTPUT_BUCKET", "thebacknd-output");
    server = new LocalServer(api(), "127.0.0.1", 0, "carol");
    server.start();
    cliEnv = new HashMap<>(env);
    cliEnv.put("THEBACKND_API_URL", "http://127.0.0.1:" + server.port());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void extendMovesTheDeadlineTheAgentReads() {
    assertEquals(0, cli("run", "--ttl", "10").exit());
    Result extended = cli("extend", "thebacknd-1", "--ttl", "150");
    assertEquals(0, extended.exit(), extended.err());
    assertTrue(extended.out().matches("Extended thebacknd-1 until 20[0-9-]+T[0-9:]+Z \\(in 2h(29|30)m\\)\n"), extended.out());
    Instant tag = Instant.parse(Ec2Fixture.tags(ec2.all().values().iterator().next()).get(VmTags.EXPIRES_AT));
    assertTrue(Duration.between(Instant.now(), tag).toMinutes() >= 149, tag.toString());

    Result json = cli("extend", "thebacknd-1", "--ttl", "30", "--json");
    assertEquals(tag.minus(Duration.ofMinutes(120)).getEpochSecond(),
        Instant.parse(Json.parse(json.out()).path("vm").path("expires_at").asText()).getEpochSecond(), 5);

    Result unknown = cli("extend", "thebacknd-9", "--ttl", "30");
    assertEquals(1, unknown.exit());
    assertTrue(unknown.err().startsWith("thebacknd: No live VM is named thebacknd-9. [vm_not_found, HTTP 404]"), unknown.err());
    Result tooLong = cli("extend", "thebacknd-1", "--ttl", "100000");
    assertEquals(2, tooLong.exit(), "the API's 400: the caller's input refused, a usage error");
    assertTrue(tooLong.err().contains("ttl_out_of_range, HTTP 400"), tooLong.err());
    assertEquals(2, cli("extend", "thebacknd-1").exit(), "--ttl is required");
    assertTrue(cli("extend", "--help").out().startsWith("Usage: thebacknd extend"));
  }

  @Test
  void runTakesTypesInOrderAndSpot() {
    Result run = cli("run", "--type", "t3.small,t3.medium", "--spot", "--json");
    assertEquals(0, run.exit(), run.err());
    JsonNode vm = Json.parse(run.out()).path("vm");
    assertEquals("t3.small", vm.path("instance_type").asText());
    assertEquals("spot", vm.path("lifecycle").asText());
    assertEquals("spot", ec2.all().get(vm.path("instance_id").asText()).instanceLifecycleAsString());
    List<String> table = cli("list").out().lines().toList();
    assertTrue(table.get(1).contains("t3.small (spot)"), String.join("\n", table));

    Result notAllowed = cli("run", "--type", "t3.small,p5.48xlarge");
    assertEquals(2, notAllowed.exit(), "the API's 400: the caller's input refused, a usage error");
    assertTrue(notAllowed.err().contains("p5.48xlarge is not allowed"), notAllowed.err());
    Result six = cli("run", "--type", "a1.medium,a1.large,a1.xlarge,a1.2xlarge,a1.4xlarge,a1.metal");
    assertTrue(six.err().contains("too_many_instance_types"), six.err());
    assertEquals(1, ec2.all().size(), "nothing else launched");
  }

  @Test
  void listShowsWhoCreatedEachAndMineOnlyTheCallers() {
    assertEquals(0, cli("run").exit()); // through serve: carol's
    cliEnv.put("USER", "dave");
    assertEquals(0, cli("run", "--local").exit()); // in-process: dave's
    List<String> table = cli("list").out().lines().toList();
    assertTrue(table.get(0).contains("OWNER"), table.get(0));
    assertTrue(table.get(1).contains(" carol "), table.get(1));
    assertTrue(table.get(2).contains(" dave "), table.get(2));

    JsonNode carols = Json.parse(cli("list", "--mine", "--json").out()).path("vms");
    assertEquals(1, carols.size());
    assertEquals("carol", carols.get(0).path("owner").asText());
    JsonNode daves = Json.parse(cli("list", "--mine", "--local", "--json").out()).path("vms");
    assertEquals(1, daves.size());
    assertEquals("dave", daves.get(0).path("owner").asText());
  }

  @Test
  void aSpotProgramInterruptedBeforeItFinishedExits125() throws Exception {
    CompletableFuture<Result> run = CompletableFuture.supplyAsync(
        () -> cli("run", "--spot", "--wait", "--poll-seconds", "1", "--logs-poll-millis", "100", PROGRAM));
    String vmId = createdVmId();
    report(vmId, "running", null);
    report(vmId, "interrupted", "spot interruption notice: terminate at 2026-12-01T10:02:00Z");
    Thread.sleep(1500);
    call(Route.DESTROY, json(Map.of("name", "thebacknd-1"))); // AWS took it back
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(125, result.exit(), result.err());
    assertTrue(result.err().contains("thebacknd-1: interrupted (spot interruption notice: terminate at 2026-12-01T10:02:00Z)"), result.err());
    assertTrue(result.err().contains("thebacknd-1 is gone before its program finished: AWS reclaimed its spot capacity"), result.err());
  }

  @Test
  void aToplevelInterruptedBeforeItRanFailsTheWait() throws Exception {
    CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> cli("run", "--spot", "--wait", "--poll-seconds", "1"));
    String vmId = createdVmId();
    report(vmId, "fetching", null);
    report(vmId, "interrupted", "spot interruption notice: terminate at 2026-12-01T10:02:00Z");
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(1, result.exit(), result.out() + result.err());
    assertTrue(result.out().contains("thebacknd-1: interrupted"), result.out());
    assertTrue(result.err().contains("AWS is reclaiming its spot capacity"), result.err());
  }

  private Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.execute(args, cliEnv, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(exit, out.toString(), err.toString());
  }

  private String createdVmId() {
    Poll.until(Duration.ofSeconds(30), () -> listed().size() == 1, "the VM to be created");
    return listed().get(0).path("vm_id").asText();
  }

  private void report(String vmId, String phase, String detail) {
    Map<String, Object> body = new HashMap<>(Map.of("vm_id", vmId, "vm_killcode", new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId), "phase", phase));
    if (detail != null) {
      body.put("detail", detail);
    }
    assertEquals(200, call(Route.REPORT, json(body)).status());
  }
}
