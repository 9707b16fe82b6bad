package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.Json;
import thebacknd.edge.Route;
import thebacknd.edge.LocalServer;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;
import thebacknd.testing.NixCacheFixture;
import thebacknd.testing.Poll;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;

/**
 * A CLI that never leaves a VM running without saying so, and refuses what cannot work before
 * anything is launched: in-process against the local server over HTTP, with real moto behind.
 */
class TrustCliTest extends MotoTest {

  private static final String TOPLEVEL = "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05";

  @TempDir Path dir;
  private LocalServer server;
  private Map<String, String> cliEnv;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void serve() throws Exception {
    Moto.clients().s3().createBucket(r -> r.bucket("thebacknd-output"));
    env.put("THEBACKND_OUTPUT_BUCKET", "thebacknd-output");
    env.put("THEBACKND_MAX_VMS", "2");
    server = new LocalServer(api(), "127.0.0.1", 0);
    server.start();
    cliEnv = new HashMap<>(env);
    cliEnv.put("THEBACKND_API_URL", "http://127.0.0.1:" + server.port());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void runSaysTheVmIdAndListWideShowsIt() {
    Result run = cli("run", TOPLEVEL);
    assertEquals(0, run.exit(), run.err());
    String vmId = listed().get(0).path("vm_id").asText();
    assertTrue(run.out().startsWith("Created thebacknd-1 (i-") && run.out().strip().endsWith(", vm_id " + vmId), run.out());
    assertTrue(cli("list", "--wide").out().contains(vmId));
    assertFalse(cli("list").out().contains(vmId), "the narrow table leaves it out to fit 120 columns");
  }

  @Test
  void rangesAndMalformedIdsAreUsageErrorsAndNothingIsLaunched() {
    assertUsage(cli("run", "--ttl", "0"), "Invalid value for option '--ttl': 0 (at least 1)");
    assertUsage(cli("run", "--wait", "--wait-timeout", "-3"), "(at least 1)");
    assertUsage(cli("run", "--queue-timeout", "5"), "--queue-timeout is for --queue");
    assertUsage(cli("logs", "--vm-id", "garbage"), "invalid --vm-id garbage: a vm_id is a lowercase UUID");
    assertUsage(cli("destroy", "thebacknd-1", "--vm-id", "I-0ABC"), "invalid --vm-id I-0ABC");
    assertEquals(0, ec2.all().size(), "nothing launched");
    assertEquals(0, cli("run", TOPLEVEL).exit());
    assertUsage(cli("extend", "thebacknd-1", "--ttl", "0"), "(at least 1)");
    // What only the API knows (its THEBACKND_MAX_TTL_MINUTES): its 400 is a usage error too.
    Result tooLong = cli("extend", "thebacknd-1", "--ttl", "100000");
    assertEquals(2, tooLong.exit(), tooLong.err());
    assertTrue(tooLong.err().contains("HTTP 400"), tooLong.err());
  }

  @Test
  void mistypedCommandsAndOptionsGetASuggestion() {
    assertUsage(cli("lsit"), "Unknown command: 'lsit' (did you mean 'list'?)");
    assertUsage(cli("destory", "thebacknd-1"), "(did you mean 'destroy'?)");
    assertUsage(cli("run", "--tll", "5"), "Unknown option: '--tll' (did you mean '--ttl'?)");
    assertUsage(cli("cache", "verfiy", "x"), "(did you mean 'verify'?)");
    Result far = cli("frobnicate");
    assertFalse(far.err().contains("did you mean"), far.err());
  }

  /** A program missing from a store path this machine has cannot run on the VM either: exit 2, nothing launched. */
  @Test
  void aProgramMissingFromALocalStorePathIsRefusedBeforeLaunching() {
    NixCacheFixture nix = new NixCacheFixture(dir);
    String top = nix.buildTinyClosure().top().toString();
    Result missing = cli("run", top + "/bin/no-such-program");
    assertUsage(missing, "no such program " + top + "/bin/no-such-program: " + top + " is on this machine and does not hold it; nothing was launched");
    Result waited = cli("run", "--wait", top + "/bin/no-such-program");
    assertEquals(2, waited.exit(), waited.err());
    assertEquals(0, ec2.all().size(), "nothing launched");
  }

  /** ./result, what nix-build leaves behind, is the store path it points to (and result/bin/x a path in it). */
  @Test
  void aResultSymlinkIsTheStorePathItPointsTo() throws Exception {
    NixCacheFixture nix = new NixCacheFixture(dir);
    String top = nix.buildTinyClosure().top().toString();
    Path result = Files.createSymbolicLink(dir.resolve("result"), Path.of(top));
    Result run = cli("run", "--json", result.toString());
    assertEquals(0, run.exit(), run.err());
    assertEquals(top, Json.parse(run.out()).path("vm").path("nix_toplevel").asText());
    // A program through the link resolves the same way (this closure's bin/ is empty: refused, naming it).
    Result program = cli("run", "--json", result + "/bin/program");
    assertUsage(program, "no such program " + top + "/bin/program: ");
    assertEquals(1, ec2.all().size(), "only the toplevel launched");
  }

  /** At the cap, --queue waits for a free VM, saying so once per change, and launches when one is free. */
  @Test
  void runQueueWaitsForAFreeVmAtTheCap() throws Exception {
    assertEquals(0, cli("run", TOPLEVEL).exit());
    assertEquals(0, cli("run", TOPLEVEL).exit());
    Result refused = cli("run", TOPLEVEL);
    assertEquals(1, refused.exit(), "without --queue, the cap is a wall");
    assertTrue(refused.err().contains("cap_reached"), refused.err());

    CompletableFuture<Result> queued = CompletableFuture.supplyAsync(() -> cli("run", "--queue", "--poll-seconds", "1", TOPLEVEL));
    Thread.sleep(2500);
    assertFalse(queued.isDone(), "still waiting");
    assertEquals(0, cli("destroy", "thebacknd-1").exit());
    Result run = queued.get(60, TimeUnit.SECONDS);
    assertEquals(0, run.exit(), run.err());
    assertEquals(1, run.err().lines().filter(l -> l.equals("thebacknd: waiting for a free VM (2 of 2 in use)")).count(), run.err());
    assertTrue(run.out().startsWith("Created thebacknd-1 "), run.out());
    assertEquals(2, listed().size());
  }

  /** A few failed polls (the API gone for a moment) are ridden out; then the wait goes on to `running`. */
  @Test
  void runWaitRidesOutAFewFailedPolls() throws Exception {
    CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> cli("run", "--wait", "--poll-seconds", "1", TOPLEVEL));
    String vmId = createdVmId();
    int port = server.port();
    server.close();
    Thread.sleep(3500); // three polls or so fail
    server = new LocalServer(api(), "127.0.0.1", port);
    server.start();
    report(vmId, "running");
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(0, result.exit(), result.err());
    assertTrue(result.out().contains("thebacknd-1 is up: vm_id " + vmId + ", until "), result.out());
  }

  /** Giving up says the VM goes on, until when, and the exact command that stops it. */
  @Test
  void runWaitThatGivesUpSaysTheVmGoesOnAndHowToStopIt() throws Exception {
    CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> cli("run", "--wait", "--poll-seconds", "1", TOPLEVEL));
    String vmId = createdVmId();
    server.close();
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(1, result.exit(), result.err());
    assertTrue(result.err().contains("thebacknd: stopped waiting: Cannot reach http://127.0.0.1:"), result.err());
    assertTrue(result.err().contains("thebacknd-1 (vm_id " + vmId + ") goes on running until 20"), result.err());
    assertTrue(result.err().strip().endsWith("to stop it now: thebacknd destroy thebacknd-1 --vm-id " + vmId), result.err());
    assertEquals(1, ec2.liveIds().size(), "still running: nothing destroyed behind the user's back");
  }

  /** A failed VM's wait ends with how long it stays up and how to destroy it now. */
  @Test
  void aFailedVmSaysHowLongItStaysUpAndHowToDestroyIt() throws Exception {
    CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> cli("run", "--wait", "--poll-seconds", "1", TOPLEVEL));
    String vmId = createdVmId();
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "failed", "detail", "switch failed")));
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(1, result.exit());
    assertTrue(result.err().contains("thebacknd: thebacknd-1 stays up until 20"), result.err());
    assertTrue(result.err().contains("for ssh, logs and console; to destroy it now: thebacknd destroy thebacknd-1 --vm-id " + vmId), result.err());
  }

  /** What a VM reports is shown, never obeyed: C1 controls (CSI, 0x9b) and DEL come out escaped. */
  @Test
  void controlCharactersFromTheApiAreEscaped() {
    assertEquals(0, cli("run", TOPLEVEL).exit());
    String vmId = listed().get(0).path("vm_id").asText();
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "booting", "detail", "csi \u009b2J del \u007f")));
    Result list = cli("list");
    assertFalse(list.out().chars().anyMatch(c -> c == 0x9b || c == 0x7f), list.out());
    Result json = cli("list", "--json");
    // The API strips control characters from a detail before it stores it; --json prints what the API answered, as it came.
    assertEquals(listed().get(0).path("phase_detail").asText(), Json.parse(json.out()).path("vms").get(0).path("phase_detail").asText(),
        "--json stays the API's");
    assertEquals("csi \\x9b2J del \\x7f \\x1b[31m\\x07\\x00 tab\\x09", Render.safe("csi \u009b2J del \u007f \u001b[31m\u0007\u0000 tab\t"));
    assertEquals("line 1\nline\t2\n\\x1b]0;title\\x07", Render.safeLines("line 1\r\nline\t2\n\u001b]0;title\u0007"));
  }

  /** destroy and extend --vm-id send it; the API's 409 (the name is another VM's now) is one line, exit 1. */
  @Test
  void vmIdPreconditionsAreSentAndAMismatchIsOneLine() throws Exception {
    AtomicReference<String> received = new AtomicReference<>();
    HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    api.createContext("/", exchange -> {
      received.set(exchange.getRequestURI().getPath() + " " + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      byte[] body = ("{\"error\":{\"code\":\"vm_mismatch\",\"message\":\"thebacknd-1 is now another VM (not "
          + "11111111-2222-4333-8444-555555555555); nothing was changed.\"}}").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(409, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    api.start();
    try {
      cliEnv.put("THEBACKND_API_URL", "http://127.0.0.1:" + api.getAddress().getPort());
      String id = "11111111-2222-4333-8444-555555555555";
      Result destroy = cli("destroy", "thebacknd-1", "--vm-id", id);
      assertEquals(1, destroy.exit());
      assertEquals("/destroy {\"name\":\"thebacknd-1\",\"dry_run\":false,\"vm_id\":\"" + id + "\"}", received.get());
      assertEquals("thebacknd: thebacknd-1 is now another VM (not " + id + "); nothing was changed. [vm_mismatch, HTTP 409]\n", destroy.err());
      Result extend = cli("extend", "thebacknd-1", "--ttl", "30", "--vm-id", id);
      assertEquals(1, extend.exit());
      assertEquals("/extend {\"name\":\"thebacknd-1\",\"ttl_minutes\":30,\"vm_id\":\"" + id + "\"}", received.get());
      assertEquals(1, extend.err().lines().count(), extend.err());
    } finally {
      api.stop(0);
    }
  }

  @Test
  void servePortsOutOfRangeOrInUseAreOneLine() {
    assertUsage(cli("serve", "--port", "99999"), "Invalid value for option '--port': 99999 (a port is 0 to 65535; 0 picks a free one)");
    Result busy = cli("serve", "--port", Integer.toString(server.port()));
    assertEquals(2, busy.exit(), busy.err());
    assertEquals(1, busy.err().lines().count(), busy.err());
    assertTrue(busy.err().startsWith("thebacknd: cannot listen on 127.0.0.1:" + server.port() + ": "), busy.err());
  }

  @Test
  void missingAwsSettingsAreOneLineNamingThem() {
    cliEnv.put("HOME", dir.toString());
    cliEnv.remove("AWS_REGION");
    cliEnv.remove("AWS_DEFAULT_REGION");
    Result noRegion = cli("list", "--local");
    assertEquals("thebacknd: configuration error: no AWS region: set AWS_REGION (for example export AWS_REGION=eu-west-1), or region in "
        + dir.resolve(".aws/config") + "\n", noRegion.err());
    assertEquals(2, noRegion.exit());
    cliEnv.put("AWS_REGION", "us-east-1");
    cliEnv.remove("AWS_ACCESS_KEY_ID");
    cliEnv.remove("AWS_SECRET_ACCESS_KEY");
    cliEnv.put("AWS_EC2_METADATA_DISABLED", "true");
    Result noCredentials = cli("serve", "--port", "0");
    assertEquals(2, noCredentials.exit());
    assertTrue(noCredentials.err().startsWith("thebacknd: configuration error: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        noCredentials.err());
  }

  @Test
  void logsByNameSaysTheVmId() {
    assertEquals(0, cli("run", TOPLEVEL).exit());
    String vmId = listed().get(0).path("vm_id").asText();
    Result logs = cli("logs", "thebacknd-1");
    assertEquals(0, logs.exit(), logs.err());
    assertEquals("thebacknd: thebacknd-1 is vm_id " + vmId + "\n", logs.err());
  }

  @Test
  void runsIsFittedKeepingItsStartAndItsEnd() {
    assertEquals("/nix/store/d05l…-nixos-system-web-26.05", Render.abbreviated("/nix/store/d05lxyzd05lxyzd05lxyzd05lxyzd05l-nixos-system-web-26.05"));
    assertEquals("…/d05l…-nixos-system-web-26.05", Render.fitted("/nix/store/d05l…-nixos-system-web-26.05", 32));
    assertEquals("…/d05l…-nixos-sy…05/bin/hello -v", Render.fitted("/nix/store/d05l…-nixos-system-web-26.05/bin/hello -v", 32));
    assertEquals(32, Render.fitted("/nix/store/d05l…-nixos-system-web-26.05/bin/hello -v", 32).length());
    assertEquals("(base image)", Render.fitted("(base image)", 32));
  }

  @Test
  void minutesAreCountedInGoodEnglish() {
    assertEquals("1 minute", Render.minutes(1));
    assertEquals("15 minutes", Render.minutes(15));
  }

  // ------------------------------------------------------------------ helpers

  private static void assertUsage(Result result, String says) {
    assertEquals(2, result.exit(), result.out() + result.err());
    assertTrue(result.err().contains(says), result.err());
    assertEquals(1, result.err().lines().count(), "one line: " + result.err());
  }

  private Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.execute(args, cliEnv, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(exit, out.toString(), err.toString());
  }

  private String createdVmId() {
    AtomicReference<String> vmId = new AtomicReference<>();
    Poll.until(Duration.ofSeconds(30), () -> {
      JsonNode vms = listed();
      if (vms.size() == 1) {
        vmId.set(vms.get(0).path("vm_id").asText());
      }
      return vmId.get() != null;
    }, "the VM to be created");
    return vmId.get();
  }

  private void report(String vmId, String phase) {
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", phase)));
  }

  private static String code(String vmId) {
    return new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
  }
}
