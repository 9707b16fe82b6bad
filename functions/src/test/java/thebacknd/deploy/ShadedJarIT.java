package thebacknd.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.testing.Command;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.Moto;
import thebacknd.testing.Repo;
import thebacknd.testing.TestEnv;
import thebacknd.vm.VmTags;

/**
 * The jar as built: shaded, then trimmed (functions/src/build/TrimJar.java). What the trimming
 * kept must be enough: every class it kept as used initialises and every class it kept as loadable
 * loads, from the jar alone; every Lambda handler and AWS client class initialises (the verifier
 * then loads what the client names); every command and subcommand answers --help; the SDK works
 * in the CLI's own process against moto (--local). The handlers run from it against moto in
 * {@code LambdaRuntimeIT}, the launcher in {@code LauncherIT} and {@code CacheLauncherIT}.
 */
class ShadedJarIT {

  private static final Path JAR = Path.of(System.getProperty("thebacknd.jar",
      Repo.root().resolve("functions/target/thebacknd-functions.jar").toString()));
  private static final Pattern HANDLER = Pattern.compile("thebacknd/edge/[A-Za-z]+Handler\\.class");
  private static final Pattern CLIENT = Pattern.compile("software/amazon/awssdk/services/[a-z0-9]+/Default[A-Za-z0-9]+Client\\.class");

  @Test
  void isAtMostThirtyMegabytes() throws IOException {
    assertTrue(Files.size(JAR) <= 30_000_000L, JAR + " is " + Files.size(JAR) + " bytes");
  }

  @Test
  void everyClassTheTrimmingKeptLoadsAndEveryHandlerAndClientInitialises() throws IOException {
    List<String> command = new ArrayList<>(List.of(java(), "-cp",
        JAR + ":" + Repo.root().resolve("functions/target/test-classes"), "thebacknd.testing.JarClassCheck",
        JAR.resolveSibling("thebacknd-functions.trim.txt").toString()));
    List<String> handlersAndClients = new ArrayList<>();
    try (ZipFile zip = new ZipFile(JAR.toFile())) {
      zip.stream().map(e -> e.getName())
          .filter(name -> HANDLER.matcher(name).matches() || CLIENT.matcher(name).matches())
          .forEach(name -> handlersAndClients.add(name.substring(0, name.length() - ".class".length()).replace('/', '.')));
    }
    assertTrue(handlersAndClients.contains("thebacknd.edge.CreateHandler"), handlersAndClients.toString());
    assertTrue(handlersAndClients.contains("software.amazon.awssdk.services.ec2.DefaultEc2Client"), handlersAndClients.toString());
    command.addAll(handlersAndClients);
    Command.Result check = Command.run(command, TestEnv.aws(), Repo.root(), Duration.ofMinutes(3));
    assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
    assertTrue(check.stdout().contains("failed 0"), check.stdout());
  }

  @Test
  void everyCommandAndSubcommandAnswersHelpFromTheJar() {
    List<List<String>> commands = new ArrayList<>();
    for (String name : commandsIn(jar(List.of("--help")))) {
      commands.add(List.of(name));
      for (String sub : commandsIn(jar(List.of(name, "--help")))) {
        commands.add(List.of(name, sub));
      }
    }
    assertTrue(commands.contains(List.of("cache", "verify")), commands.toString());
    // (-h as well as --help, and the help's width, are CliTest's, in-process.)
    for (List<String> command : commands) {
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      assertTrue(jar(args).startsWith("Usage: thebacknd " + String.join(" ", command)), args.toString());
    }
  }

  @Test
  void theAwsSdkWorksInTheCliProcess() {
    Moto.reset();
    Map<String, String> env = TestEnv.base();
    env.remove("THEBACKND_API_URL");
    env.put("THEBACKND_API_URL", "http://127.0.0.1:9");
    // --spot: RunInstances with its market options (their model classes are kept by the trimming).
    Command.Result run = Command.run(List.of(java(), "-jar", JAR.toString(), "run", "--local", "--spot", "--json"), env, Repo.root(), Duration.ofMinutes(2));
    assertEquals(0, run.exitCode(), run.stderr());
    JsonNode vm = Json.parse(run.stdout()).path("vm");
    String instance = vm.path("instance_id").asText();
    assertTrue(new Ec2Fixture().liveIds().contains(instance), "launched in moto: " + instance);
    assertEquals("spot", vm.path("lifecycle").asText(), run.stdout());
    // extend: CreateTags of the new deadline.
    Command.Result extend = Command.run(List.of(java(), "-jar", JAR.toString(), "extend", vm.path("name").asText(), "--ttl", "45", "--local", "--json"),
        env, Repo.root(), Duration.ofMinutes(2));
    assertEquals(0, extend.exitCode(), extend.stderr());
    String expiresAt = Json.parse(extend.stdout()).path("vm").path("expires_at").asText();
    assertEquals(expiresAt, Ec2Fixture.tags(new Ec2Fixture().all().get(instance)).get(VmTags.EXPIRES_AT));
    Command.Result list = Command.run(List.of(java(), "-jar", JAR.toString(), "list", "--local", "--json"), env, Repo.root(), Duration.ofMinutes(2));
    assertEquals(1, Json.parse(list.stdout()).path("vms").size(), list.stdout() + list.stderr());
    Command.Result destroy = Command.run(List.of(java(), "-jar", JAR.toString(), "destroy-all", "--local"), env, Repo.root(), Duration.ofMinutes(2));
    assertEquals(0, destroy.exitCode(), destroy.stderr());
    assertEquals(0, new Ec2Fixture().liveIds().size());
  }

  /** The commands a help text lists under "Commands:". */
  private static List<String> commandsIn(String help) {
    List<String> names = new ArrayList<>();
    boolean inCommands = false;
    for (String line : help.lines().toList()) {
      if (line.equals("Commands:")) {
        inCommands = true;
      } else if (line.isEmpty()) {
        inCommands = false;
      } else if (inCommands && line.startsWith("  ") && !line.startsWith("   ")) {
        names.add(line.trim().split("\\s+")[0]);
      }
    }
    return names;
  }

  /** {@code java -jar JAR ARGS}: its stdout; it must exit 0. */
  private static String jar(List<String> args) {
    List<String> command = new ArrayList<>(List.of(java(), "-jar", JAR.toString()));
    command.addAll(args);
    Command.Result result = Command.run(command, Map.of(), Repo.root(), Duration.ofMinutes(1));
    assertEquals(0, result.exitCode(), args + ": " + result.stderr());
    return result.stdout();
  }

  private static String java() {
    return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
  }
}
