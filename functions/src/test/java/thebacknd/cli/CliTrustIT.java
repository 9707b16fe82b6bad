package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.Json;
import thebacknd.testing.Command;
import thebacknd.testing.Launcher;
import thebacknd.testing.Moto;
import thebacknd.testing.Repo;
import thebacknd.testing.TestEnv;

/**
 * What needs the real process: the shaded jar's start-up boundary, Ctrl-C during {@code run
 * --wait}, {@code destroy-all} on a terminal (a pseudo-terminal through {@code script}), and the
 * launcher's own checks. {@code thebacknd serve} (the launcher) on moto behind.
 */
class CliTrustIT {

  private static final Path JAR = Path.of(System.getProperty("thebacknd.jar",
      Repo.root().resolve("functions/target/thebacknd-functions.jar").toString()));

  @TempDir Path dir;
  private Launcher.Served server;
  private Map<String, String> env;

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

  /**
   * A command that talks to the API over plain HTTP loads the JDK's HTTP client and the CLI's own
   * JSON reader only: no Jackson, no AWS SDK (their start-up would be most of its time).
   */
  @Test
  void listJsonLoadsNeitherJacksonNorTheAwsSdk() {
    assertEquals(0, jar("run", "--json").exitCode());
    Command.Result list = Command.run(List.of(java(), "-Xlog:class+load=info:stdout", "-jar", JAR.toString(), "list", "--json"),
        env, Repo.root(), Duration.ofMinutes(1));
    assertEquals(0, list.exitCode(), list.stderr());
    List<String> loaded = list.stdout().lines().filter(l -> l.contains("[class,load]")).toList();
    assertTrue(loaded.stream().anyMatch(l -> l.contains(" thebacknd.cli.JsonParser ")), "the log lists the CLI's classes");
    assertEquals(List.of(), loaded.stream().filter(l -> l.contains(" com.fasterxml.") || l.contains(" software.amazon.awssdk.")).toList());
    String answer = list.stdout().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
    assertEquals(1, Json.parse(answer).path("vms").size());
  }

  /** Ctrl-C (SIGINT) during run --wait: exit 130, saying the VM goes on, until when, and how to stop it. */
  @Test
  void interruptingRunWaitSaysTheVmGoesOnAndHowToStopIt() throws Exception {
    interruptWait(false, "run", "--wait", "--poll-seconds", "1");
  }

  /** The same for a program's wait, whose phases (and so the Created line) go to stderr. */
  @Test
  void interruptingAProgramsWaitSaysTheSame() throws Exception {
    interruptWait(true, "run", "--wait", "--poll-seconds", "1", "/nix/store/lk6igl2f0i137q36wscfrc6n9r0jn52l-hello/bin/hello");
  }

  private void interruptWait(boolean createdOnStderr, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(java(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    Path err = dir.resolve("err");
    if (createdOnStderr) {
      builder.redirectErrorStream(true);
    } else {
      builder.redirectError(err.toFile());
    }
    Process run = builder.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8));
    String created = out.readLine();
    assertTrue(String.valueOf(created).startsWith("Created thebacknd-1 (i-"), created);
    String vmId = created.substring(created.indexOf("vm_id ") + "vm_id ".length()).strip();
    Thread.sleep(1500);
    Command.run(List.of("kill", "-INT", Long.toString(run.pid())), Map.of(), dir, Duration.ofSeconds(10)).requireSuccess();
    String said;
    if (createdOnStderr) {
      StringBuilder rest = new StringBuilder();
      out.lines().forEach(l -> rest.append(l).append('\n'));
      said = rest.toString();
    } else {
      said = null;
    }
    assertTrue(run.waitFor(30, TimeUnit.SECONDS), "run --wait ended on SIGINT");
    assertEquals(130, run.exitValue());
    said = said != null ? said : Files.readString(err);
    assertTrue(said.contains("thebacknd: interrupted; thebacknd-1 (vm_id " + vmId + ") goes on running until 20"), said);
    assertTrue(said.strip().endsWith("to stop it now: thebacknd destroy thebacknd-1 --vm-id " + vmId), said);
    JsonNode vms = Json.parse(thebacknd("list", "--json").stdout()).path("vms");
    assertEquals(vmId, vms.get(0).path("vm_id").asText(), "the VM goes on, as said");
  }

  /** On a terminal destroy-all lists what goes and asks; "n" destroys nothing, "y" all; --yes asks nothing. */
  @Test
  void destroyAllAsksOnATerminal() {
    assertEquals(0, thebacknd("run").exitCode());
    assertEquals(0, thebacknd("run").exitCode());
    Command.Result declined = onATerminal("n", "destroy-all");
    assertTrue(declined.stdout().contains("These 2 VM(s) will be destroyed:"), declined.stdout());
    assertTrue(declined.stdout().contains("Destroy them? [y/N]"), declined.stdout());
    assertTrue(declined.stdout().contains("nothing was destroyed"), declined.stdout());
    assertEquals(2, Json.parse(thebacknd("list", "--json").stdout()).path("vms").size(), "nothing destroyed");

    Command.Result confirmed = onATerminal("y", "destroy-all", "--mine");
    assertTrue(confirmed.stdout().contains("Destroyed thebacknd-1"), confirmed.stdout());
    assertTrue(confirmed.stdout().contains("Destroyed thebacknd-2"), confirmed.stdout());
    assertEquals(0, Json.parse(thebacknd("list", "--json").stdout()).path("vms").size());

    assertEquals(0, thebacknd("run").exitCode());
    Command.Result yes = onATerminal("", "destroy-all", "--yes");
    assertFalse(yes.stdout().contains("[y/N]"), yes.stdout());
    assertTrue(yes.stdout().contains("Destroyed thebacknd-1"), yes.stdout());
  }

  /** Before building the jar, the launcher checks for a JDK (javac) and for Maven: one line each, exit 2. */
  @Test
  void theLauncherNamesAMissingJdkOrMaven() throws Exception {
    env.put("THEBACKND_JAR", dir.resolve("not-built.jar").toString());
    // A PATH with what the launcher needs (bash, readlink) and a JDK, but no mvn.
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path realJava = Path.of(java()).toRealPath();
    Files.createSymbolicLink(bin.resolve("java"), realJava);
    for (String tool : List.of("bash", "readlink")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/bin", tool).toRealPath());
    }
    env.put("PATH", bin.toString());
    env.put("JAVA_HOME", realJava.getParent().getParent().toString());
    Command.Result noMaven = thebacknd("list");
    assertEquals(2, noMaven.exitCode(), noMaven.stderr());
    assertTrue(noMaven.stderr().startsWith("thebacknd: ") && noMaven.stderr().contains("needs Maven (mvn), which is not on PATH"), noMaven.stderr());
    assertEquals(1, noMaven.stderr().lines().count(), noMaven.stderr());

    // A runtime without javac: its bin/java and nothing else.
    Path jre = Files.createDirectories(dir.resolve("jre/bin"));
    Files.copy(realJava.getParent().getParent().resolve("release"), dir.resolve("jre/release"));
    Files.writeString(jre.resolve("java"), "#!/bin/sh\nexec " + realJava + " \"$@\"\n").toFile().setExecutable(true);
    env.put("JAVA_HOME", dir.resolve("jre").toString());
    Command.Result noJdk = thebacknd("list");
    assertEquals(2, noJdk.exitCode(), noJdk.stderr());
    assertTrue(noJdk.stderr().contains("building it needs a JDK 17 or later (javac)"), noJdk.stderr());
    assertEquals(1, noJdk.stderr().lines().count(), noJdk.stderr());
  }

  private Command.Result onATerminal(String answer, String... args) {
    String command = Launcher.path() + " " + String.join(" ", args);
    String input = answer.isEmpty() ? "" : "printf '" + answer + "\\n' | ";
    // script gives the command a pseudo-terminal; what it prints, stderr too, comes out on stdout.
    return Command.run(List.of("bash", "-c", input + "script -qec '" + command + "' /dev/null"), env, Repo.root(), Duration.ofMinutes(2));
  }

  private Command.Result thebacknd(String... args) {
    return Launcher.run(env, args);
  }

  private Command.Result jar(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of(java(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return Command.run(command, env, Repo.root(), Duration.ofMinutes(1));
  }

  private static String java() {
    return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
  }
}
