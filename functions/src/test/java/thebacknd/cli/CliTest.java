package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import thebacknd.testing.Repo;
import java.util.regex.Pattern;
import java.util.regex.Matcher;
import java.util.concurrent.TimeUnit;
import java.util.TreeMap;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.edge.Route;
import thebacknd.edge.LocalServer;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;
import thebacknd.testing.Poll;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;

/** The CLI in-process, against the local server over HTTP (and --local), with real moto behind. */
class CliTest extends MotoTest {

  private static final String TOPLEVEL = "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05";
  private static final String PROGRAM = TOPLEVEL + "/bin/hello";
  private static final String OUTPUT_BUCKET = "thebacknd-output";

  private LocalServer server;
  private Map<String, String> cliEnv;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void serve() throws Exception {
    Moto.clients().s3().createBucket(r -> r.bucket(OUTPUT_BUCKET));
    env.put("THEBACKND_OUTPUT_BUCKET", OUTPUT_BUCKET);
    server = new LocalServer(api(), "127.0.0.1", 0);
    server.start();
    cliEnv = new HashMap<>(env);
    cliEnv.put("THEBACKND_API_URL", "http://127.0.0.1:" + server.port());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.execute(args, cliEnv, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(exit, out.toString(), err.toString());
  }

  @Test
  void runListDestroyInHumanAndJsonOutput() {
    Result run = cli("run", TOPLEVEL, "--ttl", "30");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().startsWith("Created thebacknd-1 (i-"), run.out());

    Result binary = cli("run", "--json", TOPLEVEL + "/bin/hello");
    assertEquals(0, binary.exit(), binary.err());
    JsonNode vm = Json.parse(binary.out()).path("vm");
    assertEquals(TOPLEVEL + "/bin/hello", vm.path("nix_binary").asText());

    Result table = cli("list");
    assertEquals(0, table.exit());
    List<String> lines = table.out().lines().toList();
    assertTrue(lines.get(0).startsWith("NAME"), table.out());
    // The hash cut to 4 characters; where RUNS would not fit, /nix/store/ shown as …/ and its middle cut.
    assertTrue(lines.get(1).startsWith("thebacknd-1") && lines.get(1).endsWith("lk6i…-nixos-system-unnamed-23.05"), table.out());
    assertTrue(lines.get(2).startsWith("thebacknd-2") && lines.get(2).contains("  …/lk6i…-nixos") && lines.get(2).endsWith("/bin/hello"), table.out());
    assertTrue(lines.stream().allMatch(l -> l.length() <= 120), table.out());

    Result wide = cli("list", "--wide");
    List<String> wideLines = wide.out().lines().toList();
    assertTrue(wideLines.get(0).startsWith("NAME         VM ID"), wide.out());
    assertTrue(wideLines.get(1).contains(listed().get(0).path("vm_id").asText()) && wideLines.get(1).endsWith(TOPLEVEL), wide.out());

    Result json = cli("list", "--json");
    assertEquals(2, Json.parse(json.out()).path("vms").size());

    Result dry = cli("destroy-all", "--dry-run");
    assertEquals("Would destroy thebacknd-1 (" + vmsInstance(0) + ")", dry.out().lines().findFirst().orElse(""));
    assertEquals(2, ec2.liveIds().size());

    Result one = cli("destroy", "thebacknd-2");
    assertEquals(0, one.exit(), one.err());
    assertTrue(one.out().startsWith("Destroyed thebacknd-2"), one.out());
    Result old = cli("destroy-old");
    assertEquals("Nothing to destroy.", old.out().strip());
    Result all = cli("destroy-all");
    assertTrue(all.out().startsWith("Destroyed thebacknd-1"), all.out());
    assertEquals("No live VMs.", cli("list").out().strip());
  }

  @Test
  void localModeCallsTheDomainInProcess() {
    cliEnv.remove("THEBACKND_API_URL");
    cliEnv.put("THEBACKND_API_URL", "http://127.0.0.1:9");
    Result run = cli("run", "--local");
    assertEquals(0, run.exit(), run.err());
    assertEquals(1, ec2.liveIds().size());
    assertEquals(1, Json.parse(cli("list", "--local", "--json").out()).path("vms").size());
  }

  @Test
  void exitCodesAreZeroOneTwo() {
    Result badPath = cli("run", "/nix/store/not-a-store-path");
    assertEquals(2, badPath.exit());
    assertTrue(badPath.err().contains("invalid PATH"), badPath.err());

    Result unknown = cli("frobnicate");
    assertEquals(2, unknown.exit());

    Result refused = cli("run", "--type", "p5.48xlarge");
    assertEquals(2, refused.exit(), "the API's 400: the caller's input refused, a usage error");
    assertTrue(refused.err().contains("instance_type_not_allowed"), refused.err());

    Result missing = cli("destroy", "thebacknd-9");
    assertEquals(1, missing.exit());
    assertTrue(missing.err().startsWith("thebacknd: No live VM is named thebacknd-9."), missing.err());

    cliEnv.remove("THEBACKND_API_URL");
    Result noUrl = cli("list");
    assertEquals(2, noUrl.exit());
    assertEquals("thebacknd: configuration error: THEBACKND_API_URL is required (or --api-url URL, or --local)", noUrl.err().strip());

    cliEnv.remove("NIX_CACHE");
    Result badConfig = cli("list", "--local");
    assertEquals(2, badConfig.exit());
    assertEquals("thebacknd: configuration error: NIX_CACHE is required", badConfig.err().strip());
    assertEquals(0, ec2.all().size(), "nothing was launched by any of these");
  }

  @Test
  void anUnreachableApiIsAFailedOperation() {
    cliEnv.put("THEBACKND_API_URL", "http://127.0.0.1:9");
    Result result = cli("list");
    assertEquals(1, result.exit());
    assertTrue(result.err().startsWith("thebacknd: Cannot reach http://127.0.0.1:9/list"), result.err());
  }

  @Test
  void waitShowsPhasesUntilRunning() throws Exception {
    CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> cli("run", "--wait", "--poll-seconds", "1", TOPLEVEL));
    AtomicReference<String> vmId = new AtomicReference<>();
    Poll.until(Duration.ofSeconds(30), () -> {
      JsonNode vms = listed();
      if (vms.size() == 1) {
        vmId.set(vms.get(0).path("vm_id").asText());
      }
      return vmId.get() != null;
    }, "the VM to be created");
    for (String phase : List.of("booting", "fetching", "switching", "running")) {
      report(vmId.get(), phase);
      Thread.sleep(1200);
    }
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(0, result.exit(), result.err());
    List<String> lines = result.out().lines().toList();
    assertTrue(lines.get(0).startsWith("Created thebacknd-1"), result.out());
    assertTrue(lines.contains("thebacknd-1: running"), result.out());
    assertTrue(lines.indexOf("thebacknd-1: fetching") < lines.indexOf("thebacknd-1: running"), result.out());
  }

  @Test
  void waitAcceptsAProgramVmThatFinishedAndVanishedBetweenTwoPolls() throws Exception {
    CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> cli("run", "--wait", "--poll-seconds", "2", TOPLEVEL + "/bin/hello"));
    Poll.until(Duration.ofSeconds(30), () -> listed().size() == 1, "the VM to be created");
    String vmId = listed().get(0).path("vm_id").asText();
    report(vmId, "fetching");
    Thread.sleep(2500);
    // The program ran and the VM destroyed itself before the next poll saw `running` or `finished`.
    output(vmId, 0, "quick\n", true);
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "finished", "exit_code", 0)));
    call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId))));
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(0, result.exit(), result.out() + result.err());
    assertEquals("quick\n", result.out());
  }

  @Test
  void waitFailsWithTheDetailWhenTheVmFails() throws Exception {
    CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> cli("run", "--wait", "--poll-seconds", "1"));
    Poll.until(Duration.ofSeconds(30), () -> listed().size() == 1, "the VM to be created");
    String vmId = listed().get(0).path("vm_id").asText();
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "failed", "detail", "nix-store: path is not signed")));
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(1, result.exit());
    assertTrue(result.err().contains("the VM failed: nix-store: path is not signed"), result.err());
  }

  // ------------------------------------------------------------------ a program's result (DESIGN §9)

  @Test
  void runProgramWaitPrintsItsOutputOnStdoutThePhasesOnStderrAndExitsWithItsCode() throws Exception {
    CompletableFuture<Result> run = runWaitInTheBackground(PROGRAM, "Ada", "with space", "--", "-n", "$HOME");
    String vmId = createdVmId();
    assertEquals(List.of("Ada", "with space", "-n", "$HOME"), strings(listed().get(0).path("args")), "PATH, then ARGS, also after --");
    report(vmId, "booting");
    report(vmId, "fetching");
    report(vmId, "running");
    Thread.sleep(1500);
    output(vmId, 0, "hello Ada\n");
    output(vmId, 1, "partial line, ");
    output(vmId, 2, "then its end\nünïcode ✓\n");
    output(vmId, 3, "", true);
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "finished", "exit_code", 3)));
    call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId))));
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(3, result.exit(), result.err());
    assertEquals("hello Ada\npartial line, then its end\nünïcode ✓\n", result.out());
    List<String> err = result.err().lines().toList();
    assertTrue(err.get(0).startsWith("Created thebacknd-1 (i-"), result.err());
    assertTrue(err.contains("thebacknd-1: running"), result.err());
    assertTrue(err.indexOf("thebacknd-1: fetching") < err.indexOf("thebacknd-1: running"), result.err());
  }

  @Test
  void runProgramWaitExits125WhenTheVmFailsBeforeTheProgramRanWithItsLogOnStderr() throws Exception {
    CompletableFuture<Result> run = runWaitInTheBackground(PROGRAM);
    String vmId = createdVmId();
    report(vmId, "fetching");
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "failed", "detail", "not in the cache")));
    output(vmId, 0, "thebacknd-agent: error: path is not in the cache\n");
    output(vmId, 1, "", true);
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(125, result.exit(), result.err());
    assertEquals("", result.out());
    assertTrue(result.err().contains("thebacknd-agent: error: path is not in the cache"), result.err());
    assertTrue(result.err().contains("the VM failed: not in the cache"), result.err());
  }

  @Test
  void runProgramWaitExits125WhenTheVmIsGoneBeforeItsProgramFinished() throws Exception {
    CompletableFuture<Result> run = runWaitInTheBackground(PROGRAM);
    String vmId = createdVmId();
    report(vmId, "running");
    output(vmId, 0, "still working\n");
    Thread.sleep(1500);
    call(Route.DESTROY, json(Map.of("name", "thebacknd-1")));
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(125, result.exit(), result.err());
    assertEquals("still working\n", result.out());
    assertTrue(result.err().contains("thebacknd-1 is gone before its program finished (last phase: running)"), result.err());
  }

  @Test
  void argsAreForProgramsOnly() {
    Result toplevel = cli("run", TOPLEVEL, "an-arg");
    assertEquals(2, toplevel.exit());
    assertTrue(toplevel.err().contains("ARGS are a program's arguments"), toplevel.err());
    Result option = cli("run", PROGRAM, "-x");
    assertEquals(2, option.exit(), "an argument that looks like an option goes after --");
    assertEquals(0, ec2.all().size());
    Result dashes = cli("run", "--json", "--", PROGRAM, "-x");
    assertEquals(0, dashes.exit(), dashes.err());
    assertEquals(List.of("-x"), strings(Json.parse(dashes.out()).path("vm").path("args")));
  }

  @Test
  void runMinusAWithoutAFileLeavesEveryArgumentAfterDashDashToTheProgram() throws Exception {
    // Stands in for toplevel-scripts/build-toplevel.sh: records what it was given, "builds" PROGRAM.
    Path scripts = Files.createTempDirectory("thebacknd-scripts");
    Path build = Files.writeString(scripts.resolve("build-toplevel.sh"),
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/argv\"\necho " + PROGRAM + "\n");
    build.toFile().setExecutable(true);
    cliEnv.put("THEBACKND_SCRIPTS_DIR", scripts.toString());
    Result run = cli("run", "--json", "-A", "greet", "--", "Ada", "3");
    assertEquals(0, run.exit(), run.err());
    assertEquals(List.of("-A", "greet"), Files.readAllLines(scripts.resolve("argv")), "no FILE: build-toplevel.sh's default");
    assertEquals(List.of("Ada", "3"), strings(Json.parse(run.out()).path("vm").path("args")));
  }

  @Test
  void logsPrintsFollowsAndStillShowsAVmThatIsGone() throws Exception {
    String vmId = Json.parse(cli("run", "--json", PROGRAM).out()).path("vm").path("vm_id").asText();
    output(vmId, 0, "line 1\n");
    Result now = cli("logs", "thebacknd-1");
    assertEquals(0, now.exit(), now.err());
    assertEquals("line 1\n", now.out());

    CompletableFuture<Result> follow = CompletableFuture.supplyAsync(() -> cli("logs", "thebacknd-1", "-f", "--poll-millis", "100"));
    Thread.sleep(1500);
    output(vmId, 1, "line 2\n");
    Thread.sleep(1000);
    assertFalse(follow.isDone(), "-f follows until the output ends");
    output(vmId, 2, "", true);
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "finished", "exit_code", 0)));
    Result followed = follow.get(30, TimeUnit.SECONDS);
    assertEquals(0, followed.exit(), followed.err());
    assertEquals("line 1\nline 2\n", followed.out());

    Result table = cli("list");
    assertTrue(table.out().lines().findFirst().orElse("").contains("EXIT"), table.out());
    assertTrue(table.out().lines().skip(1).findFirst().orElse("").matches("thebacknd-1 +running +finished +0 .*"), table.out());

    call(Route.DESTROY_SELF, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId))));
    Result byName = cli("logs", "thebacknd-1");
    assertEquals(0, byName.exit(), "the output bucket's name index knows the VM that is gone: " + byName.err());
    assertEquals("line 1\nline 2\n", byName.out());
    Result byVmId = cli("logs", "--vm-id", vmId);
    assertEquals(0, byVmId.exit(), byVmId.err());
    assertEquals("line 1\nline 2\n", byVmId.out());
    assertTrue(byVmId.err().contains("exit code 0"), byVmId.err());
    Result json = cli("logs", "--vm-id", vmId, "--json");
    assertTrue(Json.parse(json.out().lines().findFirst().orElseThrow()).path("done").asBoolean(), json.out());
    assertEquals(2, cli("logs").exit(), "NAME or --vm-id");
  }

  @Test
  void logsFollowStopsWhenTheVmIsGoneWithoutAFinalChunk() throws Exception {
    String vmId = Json.parse(cli("run", "--json", PROGRAM).out()).path("vm").path("vm_id").asText();
    output(vmId, 0, "until the deadline\n");
    CompletableFuture<Result> follow = CompletableFuture.supplyAsync(() -> cli("logs", "thebacknd-1", "-f", "--poll-millis", "200"));
    Thread.sleep(1000);
    call(Route.DESTROY, json(Map.of("name", "thebacknd-1")));
    Result followed = follow.get(30, TimeUnit.SECONDS);
    assertEquals(0, followed.exit(), followed.err());
    assertEquals("until the deadline\n", followed.out());
    assertTrue(followed.err().contains("the VM is gone; its output ends here, unfinished"), followed.err());
  }

  @Test
  void consolePrintsTheSerialConsole() {
    cli("run");
    Result console = cli("console", "thebacknd-1");
    assertEquals(0, console.exit(), console.err());
    assertTrue(console.out().startsWith("Linux version"), "moto's sample console output: " + console.out());
    Result missing = cli("console", "thebacknd-2");
    assertEquals(1, missing.exit());
    assertTrue(missing.err().contains("No live VM is named thebacknd-2"), missing.err());
  }

  @Test
  void sshRunsSshToThePublicIpAsRootWithTheConfiguredKey() throws Exception {
    cli("run");
    Path dir = Files.createTempDirectory("thebacknd-ssh");
    Path key = Files.writeString(dir.resolve("id_ed25519"), "not a real key\n");
    // Stands in for ssh: records the command line it was given, exits 7.
    Path ssh = Files.writeString(dir.resolve("ssh"), "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/argv\"\nexit 7\n");
    ssh.toFile().setExecutable(true);
    cliEnv.put("PATH", dir + ":/usr/bin:/bin");
    cliEnv.put("HOME", dir.toString());

    Result noKey = cli("ssh", "thebacknd-1");
    assertEquals(2, noKey.exit());
    assertTrue(noKey.err().contains("no SSH key configured: set THEBACKND_SSH_IDENTITY"), noKey.err());

    cliEnv.put("THEBACKND_SSH_IDENTITY", key.toString());
    JsonNode vm = listed().get(0);
    Result ran = cli("ssh", "thebacknd-1", "--", "uname", "-a");
    assertEquals(7, ran.exit(), "ssh's own exit code: " + ran.err());
    List<String> argv = Files.readAllLines(dir.resolve("argv"));
    String ip = vm.path("public_ips").get(0).asText();
    assertEquals(List.of("-i", key.toString(), "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=15", "-o", "StrictHostKeyChecking=accept-new",
        "-o", "UserKnownHostsFile=" + dir.resolve(".cache/thebacknd/known_hosts"),
        "-o", "HostKeyAlias=thebacknd-" + vm.path("instance_id").asText(), "root@" + ip, "uname", "-a"), argv);
    assertEquals(1, cli("ssh", "thebacknd-9").exit());

    // ssh's own failure (255: refused, or no key of ours on the VM) names the likely causes.
    Files.writeString(ssh, "#!/bin/sh\necho 'root@host: Permission denied (publickey).' >&2\nexit 255\n");
    Result refused = cli("ssh", "thebacknd-1");
    assertEquals(255, refused.exit());
    assertTrue(refused.err().contains("thebacknd: ssh to thebacknd-1 (" + ip + ") failed: is port 22 open to you, and was the VM"
        + " launched with the key pair of " + key), refused.err());
  }

  @Test
  void everyCommandAnswersHelpWithLinesThatFit() {
    List<List<String>> commands = new java.util.ArrayList<>();
    for (Command command : Main.COMMANDS) {
      commands.add(List.of(command.spec().name()));
      command.spec().subcommands().forEach(sub -> commands.add(List.of(command.spec().name(), sub.spec().name())));
    }
    assertTrue(commands.contains(List.of("cache", "verify")), commands.toString());
    for (List<String> command : commands) {
      for (String help : List.of("--help", "-h")) {
        List<String> args = new java.util.ArrayList<>(command);
        args.add(help);
        Result result = cli(args.toArray(String[]::new));
        assertEquals(0, result.exit(), args + ": " + result.err());
        assertTrue(result.out().startsWith("Usage: thebacknd " + String.join(" ", command)), args + ": " + result.out());
        assertTrue(result.out().contains("-h, --help"), result.out());
        result.out().lines().forEach(line -> assertTrue(line.length() <= 80, args + ": a line over 80 columns: " + line));
      }
    }
    Result top = cli("--help");
    assertEquals(0, top.exit());
    for (Command command : Main.COMMANDS) {
      // Each command's summary on its one line, whole: the sentence ends there.
      String line = top.out().lines().filter(l -> l.startsWith("  " + command.spec().name() + " ")).findFirst().orElseThrow();
      assertTrue(line.endsWith(command.spec().summary()) && line.endsWith("."), line);
    }
    top.out().lines().forEach(line -> assertTrue(line.length() <= 80, "a line over 80 columns: " + line));
    for (Command group : Main.COMMANDS) {
      for (Command sub : group.spec().subcommands()) {
        String help = cli(group.spec().name(), "--help").out();
        assertTrue(help.lines().anyMatch(l -> l.startsWith("  " + sub.spec().name() + " ") && l.endsWith(sub.spec().summary())), help);
      }
    }
    assertEquals(Main.VERSION + "\n", cli("--version").out());
  }

  @Test
  void usageErrorsExitWithTwoAndSayWhy() {
    Result unknown = cli("list", "--bogus");
    assertEquals(2, unknown.exit());
    assertEquals("thebacknd: Unknown option: '--bogus' (see thebacknd list --help)", unknown.err().strip());
    assertEquals(2, cli("destroy").exit(), "NAME is required");
    assertEquals(2, cli("destroy", "a", "b").exit(), "one NAME only");
    assertEquals(2, cli("run", "--ttl", "soon").exit(), "a whole number");
    assertEquals(2, cli("list", "--json=yes").exit(), "a flag takes no value");
    assertEquals(2, cli().exit(), "a command is required");
    assertEquals(2, cli("cache").exit(), "a cache command is required");
    assertEquals(2, cli("cache", "frobnicate").exit());
    assertEquals(0, ec2.all().size());
  }

  @Test
  void helpAfterDashDashIsTheProgramsArgument() {
    Result run = cli("run", "--json", PROGRAM, "--", "--help", "-h");
    assertEquals(0, run.exit(), run.err());
    assertEquals(List.of("--help", "-h"), strings(Json.parse(run.out()).path("vm").path("args")));
  }

  /** One request as the server received it. */
  record Received(String method, String url, Map<String, String> headers, String body) {}

  /**
   * The signature is recomputed independently, by botocore's SigV4 (the AWS SDK for Python, in
   * .venv), over the request exactly as the server received it; it must equal the one sent.
   */
  @Test
  void sigv4SignsRequestsForAwsStyleApis() throws Exception {
    AtomicReference<Received> received = new AtomicReference<>();
    HttpServer recorder = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    recorder.createContext("/destroy-all", exchange -> {
      // What API Gateway's IAM authorizer answers for a bad signature.
      byte[] body = "{\"message\":\"Forbidden\"}".getBytes();
      exchange.sendResponseHeaders(403, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    recorder.createContext("/", exchange -> {
      Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, values.get(0)));
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      received.set(new Received(exchange.getRequestMethod(),
          "http://" + headers.get("Host") + exchange.getRequestURI(), headers, body));
      byte[] answer = "{\"vms\": [], \"destroyed\": [], \"dry_run\": true}".getBytes();
      exchange.sendResponseHeaders(200, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    recorder.start();
    try {
      cliEnv.put("THEBACKND_API_URL", "http://127.0.0.1:" + recorder.getAddress().getPort());
      cliEnv.put("THEBACKND_API_SIGV4", "true");

      assertEquals(0, cli("list").exit());
      assertSignedCorrectly(received.get());
      assertEquals(0, cli("destroy-old", "--dry-run").exit());
      assertEquals("{\"dry_run\":true}", received.get().body());
      assertSignedCorrectly(received.get());

      assertEquals(0, cli("logs", "--vm-id", "0f8fad5b-d9cb-469f-a165-70867728950e").exit());
      assertEquals("GET", received.get().method());
      assertTrue(received.get().url().endsWith("/logs?after=-1&vm_id=0f8fad5b-d9cb-469f-a165-70867728950e"), received.get().url());
      assertSignedCorrectly(received.get());

      Result forbidden = cli("destroy-all");
      assertEquals(1, forbidden.exit());
      assertEquals("thebacknd: Forbidden [http_403, HTTP 403]", forbidden.err().strip());

      cliEnv.remove("THEBACKND_API_SIGV4");
      received.set(null);
      assertEquals(0, cli("list").exit());
      assertEquals(null, received.get().headers().get("Authorization"), "a plain URL is not signed");
    } finally {
      recorder.stop(0);
    }
  }

  private static final String BOTOCORE_SIGNATURE =
      "import json, sys\n"
          + "from botocore.auth import SigV4Auth\n"
          + "from botocore.awsrequest import AWSRequest\n"
          + "from botocore.credentials import Credentials\n"
          + "r = json.load(sys.stdin)\n"
          + "request = AWSRequest(method=r['method'], url=r['url'], data=r['body'].encode(), headers=r['headers'])\n"
          + "request.context['timestamp'] = r['headers']['x-amz-date']\n"
          + "auth = SigV4Auth(Credentials('testing', 'testing'), 'execute-api', 'us-east-1')\n"
          + "print(auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request))\n";

  private static void assertSignedCorrectly(Received request) throws Exception {
    String authorization = request.headers().get("Authorization");
    Matcher m = Pattern.compile(
        "AWS4-HMAC-SHA256 Credential=testing/(\\d{8})/us-east-1/execute-api/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})")
        .matcher(String.valueOf(authorization));
    assertTrue(m.matches(), String.valueOf(authorization));
    assertTrue(request.headers().get("X-Amz-Date").startsWith(m.group(1)));
    // Hand botocore exactly the headers the client says it signed.
    Map<String, String> signed = new TreeMap<>();
    for (String name : m.group(2).split(";")) {
      signed.put(name, request.headers().get(name));
    }
    String input = Json.write(Map.of("method", request.method(), "url", request.url(), "headers", signed, "body", request.body()));
    ProcessBuilder python = new ProcessBuilder(Repo.root().resolve(".venv/bin/python").toString(), "-c", BOTOCORE_SIGNATURE);
    python.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process process = python.start();
    try (var stdin = process.getOutputStream()) {
      stdin.write(input.getBytes(StandardCharsets.UTF_8));
    }
    String expected = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(expected, m.group(3), "botocore computes the same SigV4 signature for " + request.method() + " " + request.url());
  }

  /** {@code thebacknd run --wait ARGS} (polling quickly), while the test plays the VM. */
  private CompletableFuture<Result> runWaitInTheBackground(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("run", "--wait", "--poll-seconds", "1", "--logs-poll-millis", "100"));
    command.addAll(List.of(args));
    return CompletableFuture.supplyAsync(() -> cli(command.toArray(String[]::new)));
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

  private void output(String vmId, int seq, String text) {
    output(vmId, seq, text, false);
  }

  private void output(String vmId, int seq, String text, boolean isFinal) {
    var response = call(Route.OUTPUT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "seq", seq, "text", text, "final", isFinal)));
    assertEquals(200, response.status(), response.bodyText());
  }

  private static List<String> strings(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  private String vmsInstance(int index) {
    return listed().get(index).path("instance_id").asText();
  }

  private void report(String vmId, String phase) {
    call(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", phase)));
  }

  private static String code(String vmId) {
    return new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
  }
}
