package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.testing.Command;
import thebacknd.testing.Launcher;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;

/**
 * The real thing a developer runs: toplevel-scripts/thebacknd (the shaded jar) as `serve` in one
 * process and as the CLI in others, over loopback HTTP, with moto behind.
 */
class LauncherIT {

  private Launcher.Served server;
  private Map<String, String> env;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void serve() {
    Moto.reset();
    env = TestEnv.base();
    server = Launcher.serve(env);
    env.put("THEBACKND_API_URL", server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void runListDestroyThroughTheLauncher() {
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
  void usageAndConfigurationErrorsExitWithTwo() {
    assertEquals(2, thebacknd("run", "--ttl").exit());
    assertEquals(2, thebacknd("no-such-command").exit());
    env.remove("THEBACKND_API_URL");
    Run noUrl = thebacknd("list");
    assertEquals(2, noUrl.exit());
    assertEquals("thebacknd: configuration error: THEBACKND_API_URL is required (or --api-url URL, or --local)", noUrl.err().strip());
    assertEquals(0, thebacknd("--help").exit());
  }

  @Test
  void serveRefusesToStartWithoutItsConfiguration() {
    env.remove("THEBACKND_IMAGE_ID");
    Run serve = thebacknd("serve", "--port", "0");
    assertEquals(2, serve.exit());
    assertEquals("thebacknd: configuration error: THEBACKND_IMAGE_ID is required to create VMs (the base image AMI)", serve.err().strip());
  }

  private Run thebacknd(String... args) {
    if (!env.containsKey("THEBACKND_API_URL")) {
      env.put("THEBACKND_API_URL", "");
    }
    Command.Result r = Launcher.run(env, args);
    return new Run(r.exitCode(), r.stdout(), r.stderr());
  }
}
