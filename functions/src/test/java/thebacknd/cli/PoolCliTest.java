package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import thebacknd.edge.LocalServer;
import thebacknd.edge.Route;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.MotoTest;
import thebacknd.testing.Poll;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;

/**
 * The CLI against the local server with a warm pool ({@code THEBACKND_POOL=t3.micro=1}), over
 * HTTP with real moto behind: the server fills the pool at start, {@code thebacknd pool} shows
 * it starting and then ready, and {@code run --wait} on the pooled VM (its agent's reports sent
 * here with its kill code) ends with the ready line that says it came from the pool.
 */
class PoolCliTest extends MotoTest {

  private static final String TOPLEVEL = "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-nixos-system-unnamed-23.05";

  private LocalServer server;
  private Map<String, String> cliEnv;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void serve() throws Exception {
    env.put("THEBACKND_POOL", "t3.micro=1");
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
  void poolShowsTheWarmPoolAndRunWaitOnAPooledVmSaysItIsReadyFromThePool() throws Exception {
    String pooledId = onlyVmId();
    Result starting = cli("pool");
    assertEquals(0, starting.exit(), starting.err());
    assertEquals("Pool: t3.micro=1 (1 VM); ready 0, starting 1\n", starting.out());

    report(pooledId, Map.of("phase", "pooled"));
    Result ready = cli("pool");
    assertEquals("Pool: t3.micro=1 (1 VM); ready 1, starting 0\n", ready.out(), ready.err());

    CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> cli("run", "--wait", "--poll-seconds", "1", TOPLEVEL));
    Poll.until(Duration.ofSeconds(30), () -> claimed(pooledId), "run to claim the pooled VM");
    report(pooledId, Map.of("phase", "fetching"));
    report(pooledId, Map.of("phase", "running", "timings",
        Map.of("boot_s", 21.0, "fetch_s", 0.6, "fetched_paths", 3, "fetched_bytes", 1048576, "switch_s", 1.2)));
    Result result = run.get(60, TimeUnit.SECONDS);
    assertEquals(0, result.exit(), result.err());
    List<String> readyLines = result.err().lines().filter(l -> l.contains(": ready in ")).toList();
    assertEquals(1, readyLines.size(), result.err());
    assertTrue(readyLines.get(0).matches(
        "thebacknd-[0-9]+: ready in [0-9]+\\.[0-9] s from the pool \\(launch [0-9]+\\.[0-9] s, boot 21\\.0 s, fetch 0\\.6 s / 1\\.0 MiB, switch 1\\.2 s\\)"),
        readyLines.get(0));
    FleetCheck.assertNoOrphans();
  }

  private boolean claimed(String vmId) {
    for (JsonNode vm : listed()) {
      if (vm.path("vm_id").asText().equals(vmId) && vm.path("from_pool").asBoolean()) {
        return true;
      }
    }
    return false;
  }

  private String onlyVmId() {
    AtomicReference<String> vmId = new AtomicReference<>();
    Poll.until(Duration.ofSeconds(30), () -> {
      JsonNode vms = listed();
      if (vms.size() == 1) {
        vmId.set(vms.get(0).path("vm_id").asText());
      }
      return vmId.get() != null;
    }, "the server to fill the pool at start");
    return vmId.get();
  }

  private void report(String vmId, Map<String, Object> fields) {
    Map<String, Object> body = new HashMap<>(fields);
    body.put("vm_id", vmId);
    body.put("vm_killcode", new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId));
    assertEquals(200, call(Route.REPORT, json(body)).status(), "report " + fields);
  }

  private Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.execute(args, cliEnv, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(exit, out.toString(), err.toString());
  }
}
