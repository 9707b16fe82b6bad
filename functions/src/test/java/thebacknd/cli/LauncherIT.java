package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.testing.Moto;
import thebacknd.testing.Repo;
import thebacknd.testing.TestEnv;

/**
 * The real thing a developer runs: toplevel-scripts/thebacknd (the shaded jar) as `serve` in one
 * process and as the CLI in others, over loopback HTTP, with moto behind.
 */
class LauncherIT {

  private Process server;
  private Map<String, String> env;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void serve() throws Exception {
    Moto.reset();
    env = TestEnv.base();
    ProcessBuilder builder = new ProcessBuilder(launcher(), "serve", "--port", "0");
    builder.environment().putAll(env);
    builder.redirectError(ProcessBuilder.Redirect.DISCARD);
    server = builder.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    Matcher m = Pattern.compile("thebacknd: serving on (http://127\\.0\\.0\\.1:\\d+)").matcher(String.valueOf(line));
    assertTrue(m.matches(), "serve printed: " + line);
    env.put("THEBACKND_API_URL", m.group(1));
  }

  @AfterEach
  void stop() throws Exception {
    server.destroy();
    assertTrue(server.waitFor(10, TimeUnit.SECONDS), "serve stops on SIGTERM");
  }

  @Test
  void runListDestroyThroughTheLauncher() throws Exception {
    Run run = thebacknd("run", "--json");
    assertEquals(0, run.exit(), run.err());
    assertEquals("thebacknd-1", Json.parse(run.out()).path("vm").path("name").asText());

    Run list = thebacknd("list");
    assertEquals(0, list.exit());
    assertTrue(list.out().lines().anyMatch(l -> l.startsWith("thebacknd-1 ")), list.out());

    Run destroy = thebacknd("destroy-all");
    assertEquals(0, destroy.exit());
    assertTrue(destroy.out().startsWith("Destroyed thebacknd-1"), destroy.out());
  }

  @Test
  void usageAndConfigurationErrorsExitWithTwo() throws Exception {
    assertEquals(2, thebacknd("run", "--ttl").exit());
    assertEquals(2, thebacknd("no-such-command").exit());
    env.remove("THEBACKND_API_URL");
    Run noUrl = thebacknd("list");
    assertEquals(2, noUrl.exit());
    assertEquals("thebacknd: configuration error: THEBACKND_API_URL is required (or --api-url URL, or --local)", noUrl.err().strip());
    assertEquals(0, thebacknd("--help").exit());
  }

  @Test
  void serveRefusesToStartWithoutItsConfiguration() throws Exception {
    env.remove("THEBACKND_IMAGE_ID");
    Run serve = thebacknd("serve", "--port", "0");
    assertEquals(2, serve.exit());
    assertEquals("thebacknd: configuration error: THEBACKND_IMAGE_ID is required to create VMs (the base image AMI)", serve.err().strip());
  }

  private Run thebacknd(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(launcher()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    if (!env.containsKey("THEBACKND_API_URL")) {
      builder.environment().remove("THEBACKND_API_URL");
    }
    Process process = builder.start();
    process.getOutputStream().close();
    var out = process.getInputStream().readAllBytes();
    var err = process.getErrorStream().readAllBytes();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  private static String launcher() {
    return Repo.root().resolve("toplevel-scripts/thebacknd").toString();
  }
}
