package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.testing.Command;
import thebacknd.testing.Launcher;
import thebacknd.testing.Moto;
import thebacknd.testing.Poll;
import thebacknd.testing.Repo;
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

  /**
   * The launcher's start-up archive (a CDS archive, or on JDK 25+ an AOT cache): made by the first
   * API command after a build for the JDK in use, used by the next ones, made again for a new jar.
   * Against a copy of the jar, so that its archives are this test's own.
   */
  @Test
  void theFirstCommandAfterABuildLeavesAStartUpArchiveTheNextOnesUse() throws Exception {
    Path dir = Files.createTempDirectory("thebacknd-launcher");
    Path jar = dir.resolve("thebacknd-functions.jar");
    Files.copy(Repo.root().resolve("functions/target/thebacknd-functions.jar"), jar);
    env.put("THEBACKND_JAR", jar.toString());
    assertEquals(0, thebacknd("--help").exit());
    assertEquals(List.of(), archives(dir), "help alone trains nothing");

    Run first = thebacknd("list", "--json");
    assertEquals(0, first.exit(), first.err());
    assertEquals("", first.err(), "training is silent");
    Path archive = waitForOneArchive(dir);
    assertTrue(archive.getFileName().toString().startsWith("thebacknd-functions.api.java"), archive.toString());
    assertTrue(Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) > 0);

    Run second = thebacknd("list", "--json");
    assertEquals(first.out(), second.out(), "the same answer with the archive");
    assertEquals("", second.err());

    // A new build: the archive is older than the jar, so the next command makes it again.
    Thread.sleep(1100);
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now()));
    assertEquals(0, thebacknd("list").exit());
    Poll.until(Duration.ofSeconds(60), () -> {
      try {
        return Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) > 0;
      } catch (IOException gone) {
        return false;
      }
    }, "the archive to be made again for the new jar");
  }

  private static Path waitForOneArchive(Path dir) {
    Poll.until(Duration.ofSeconds(60), () -> archives(dir).size() == 1, "one start-up archive in " + dir);
    return archives(dir).get(0);
  }

  /** Finished archives: the CDS archive (.jsa) or AOT cache (.aot); not a training's files. */
  private static List<Path> archives(Path dir) {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".jsa") || f.toString().endsWith(".aot")).toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private Run thebacknd(String... args) {
    if (!env.containsKey("THEBACKND_API_URL")) {
      env.put("THEBACKND_API_URL", "");
    }
    Command.Result r = Launcher.run(env, args);
    return new Run(r.exitCode(), r.stdout(), r.stderr());
  }
}
