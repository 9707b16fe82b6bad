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
