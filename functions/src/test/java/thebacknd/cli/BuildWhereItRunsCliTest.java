package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.edge.LocalServer;
import thebacknd.edge.Route;
import thebacknd.testing.MotoTest;
import thebacknd.testing.Poll;
import thebacknd.vm.KillCodes;

/**
 * {@code run --on-vm FLAKEREF#ATTR} and {@code shell PKG… -- COMMAND}: what they send reaches the
 * VM (read back from its user-data in moto), and every malformed input is refused with exit 2
 * before anything is launched. The CLI in-process, the local server over HTTP, moto behind.
 */
class BuildWhereItRunsCliTest extends MotoTest {

  private static final String OUTPUT_BUCKET = "thebacknd-output";

  private LocalServer server;
  private Map<String, String> cliEnv;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void serve() throws Exception {
    thebacknd.testing.Moto.clients().s3().createBucket(r -> r.bucket(OUTPUT_BUCKET));
    env.put("THEBACKND_OUTPUT_BUCKET", OUTPUT_BUCKET);
    env.put("THEBACKND_ALLOW_VM_BUILDS", "true");
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
  void runOnVmSendsTheFlakeReferenceAndTheProgramsArguments() {
    Result run = cli("run", "--on-vm", "--json", "git+http://127.0.0.1:8080/flake.git#greet", "--", "Ada", "-n");
    assertEquals(0, run.exit(), run.err());
    JsonNode vm = Json.parse(run.out()).path("vm");
    JsonNode userData = userData(vm.path("instance_id").asText());
    assertEquals("git+http://127.0.0.1:8080/flake.git#greet", userData.path("nix_flake").asText());
    assertEquals(List.of("Ada", "-n"), strings(userData.path("nix_args")));
    assertTrue(userData.path("nix_toplevel").isNull() && userData.path("nix_binary").isNull() && userData.path("nix_packages").isNull(),
        userData.toString());
  }

  @Test
  void runOnVmOfANixosSystemSendsItsToplevel() {
    Result run = cli("run", "--on-vm", "--json", "github:owner/repo#nixosConfigurations.web");
    assertEquals(0, run.exit(), run.err());
    JsonNode userData = userData(Json.parse(run.out()).path("vm").path("instance_id").asText());
    assertEquals("github:owner/repo#nixosConfigurations.web.config.system.build.toplevel", userData.path("nix_flake").asText());
  }

  @Test
  void shellSendsThePackagesAndTheCommand() {
    Result shell = cli("shell", "--no-wait", "--json", "python3", "python3Packages.numpy", "--", "python3", "-c", "print(1)");
    assertEquals(0, shell.exit(), shell.err());
    JsonNode userData = userData(Json.parse(shell.out()).path("vm").path("instance_id").asText());
    assertEquals(List.of("python3", "python3Packages.numpy"), strings(userData.path("nix_packages")));
    assertEquals(List.of("python3", "-c", "print(1)"), strings(userData.path("nix_args")));

    Result oneWord = cli("shell", "--no-wait", "--json", "cowsay", "cowsay", "hello");
    assertEquals(0, oneWord.exit(), oneWord.err());
    JsonNode second = userData(Json.parse(oneWord.out()).path("vm").path("instance_id").asText());
    assertEquals(List.of("cowsay"), strings(second.path("nix_packages")), "without --, the first word is the one package");
    assertEquals(List.of("cowsay", "hello"), strings(second.path("nix_args")));
  }

  /** shell waits by default, like run PROGRAM --wait: the output on stdout, the command's exit code. */
  @Test
  void shellWaitsForTheCommandAndExitsWithItsCode() throws Exception {
    CompletableFuture<Result> shell = CompletableFuture.supplyAsync(() -> cli("shell", "--poll-seconds", "1", "--logs-poll-millis", "100",
        "jq", "--", "jq", "--version"));
    Poll.until(Duration.ofSeconds(30), () -> listed().size() == 1, "the VM to be created");
    String vmId = listed().get(0).path("vm_id").asText();
    report(vmId, "fetching");
    report(vmId, "running");
    call(Route.OUTPUT, Json.write(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "seq", 0, "text", "jq-1.6\n", "final", true)));
    call(Route.REPORT, Json.write(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", "finished", "exit_code", 4)));
    Result result = shell.get(60, TimeUnit.SECONDS);
    assertEquals(4, result.exit(), result.err());
    assertEquals("jq-1.6\n", result.out());
    assertTrue(result.err().startsWith("Created thebacknd-1 (i-"), result.err());
  }

  @Test
  void everyMalformedReferenceOrPackageIsRefusedWithExit2AndNothingLaunched() {
    List<String[]> refused = new ArrayList<>();
    for (String ref : List.of(".#", "#greet", ".#a#b", ". #x", ".#a..b", ".#x\u001b[2J")) {
      refused.add(new String[] {"run", ref});
      refused.add(new String[] {"run", "--on-vm", ref});
    }
    for (String ref : List.of(".#greet", "/srv/flake#greet", "path:/srv#x", "git+file:///srv/repo#x", "file:///f.tar.gz#x",
        "nixpkgs#hello", "http://example.org/f.tar.gz#x", "git+http://example.org/repo#x", "github:owner#x", "github:o/r#")) {
      refused.add(new String[] {"run", "--on-vm", ref});
    }
    refused.add(new String[] {"run", "--on-vm"});
    refused.add(new String[] {"run", "--on-vm", "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05"});
    refused.add(new String[] {"run", "--on-vm", "-A", "top", "default.nix"});
    refused.add(new String[] {"run", "--on-vm", "github:o/r#" + "a".repeat(1100)});
    refused.add(new String[] {"shell", "--", "echo", "hi"});
    refused.add(new String[] {"shell", "python3"});
    refused.add(new String[] {"shell", "python3", "--"});
    refused.add(new String[] {"shell", "bad name", "--", "x"});
    refused.add(new String[] {"shell", "a..b", "--", "x"});
    refused.add(new String[] {"shell", "nixpkgs#jq", "--", "jq"});
    List<String> many = new ArrayList<>(List.of("shell"));
    for (int i = 0; i <= ShellCommand.MAX_PACKAGES; i++) {
      many.add("p" + i);
    }
    many.add("--");
    many.add("true");
    refused.add(many.toArray(new String[0]));
    for (String[] args : refused) {
      Result result = cli(args);
      assertEquals(2, result.exit(), String.join(" ", args) + ": " + result.err());
      assertEquals(1, result.err().lines().count(), "one line: " + result.err());
      assertTrue(result.err().lines().allMatch(l -> l.chars().noneMatch(c -> c < 0x20)), "no control character: " + result.err());
    }
    assertEquals(0, ec2.all().size(), "nothing was launched");
  }

  // ------------------------------------------------------------------ helpers

  private Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.execute(args, cliEnv, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(exit, out.toString(), err.toString());
  }

  private JsonNode userData(String instanceId) {
    String encoded = ec2.ec2().describeInstanceAttribute(r -> r.instanceId(instanceId).attribute("userData")).userData().value();
    return Json.parse(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
  }

  private void report(String vmId, String phase) {
    call(Route.REPORT, Json.write(Map.of("vm_id", vmId, "vm_killcode", code(vmId), "phase", phase)));
  }

  private static String code(String vmId) {
    return new KillCodes(() -> List.of(thebacknd.testing.TestEnv.SECRET)).codeFor(vmId);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
