package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;
import thebacknd.cli.Main;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.Command;
import thebacknd.testing.Moto;
import thebacknd.testing.Nix;
import thebacknd.testing.NixCacheFixture;
import thebacknd.testing.NixKey;
import thebacknd.testing.Repo;
import thebacknd.testing.TestEnv;

/** toplevel-scripts/build-toplevel.sh: build → sign the closure → push → print the store path. */
class BuildToplevelScriptTest {

  static final Path SCRIPT = Repo.root().resolve("toplevel-scripts/build-toplevel.sh");

  @TempDir static Path work;
  static NixCacheFixture nix;
  static NixKey key;

  @BeforeAll
  static void key() {
    nix = new NixCacheFixture(work);
    key = nix.key("build-test-1");
  }

  @BeforeEach
  void emptyMoto() {
    Moto.reset();
  }

  @Test
  void buildsSignsAndPushesToAFileCacheThenPrintsTheStorePath() {
    Path file = nix.writeTinyClosure();
    Path cache = work.resolve("file-cache-" + System.nanoTime());
    Map<String, String> env = scriptEnv();
    env.put("NIX_CACHE", "s3://not-used-when-a-push-url-is-set");
    env.put("NIX_CACHE_PUSH_URL", "file://" + cache + "?compression=zstd");

    Command.Result result = script(env, "-A", "top", file.toString());

    assertEquals(0, result.exitCode(), result.stderr());
    assertEquals(1, result.stdout().lines().count(), "stdout is only the store path; progress goes to stderr: " + result.stdout());
    StorePath top = StorePath.parse(result.lastLine());
    assertEquals(top.toString(), Nix.run(work, "nix-build", file.toString(), "-A", "top", "--no-out-link").lastLine());
    assertTrue(result.stderr().contains("signing the closure"), result.stderr());

    ClosureReport report = new ClosureCheck(directory(cache), TrustedKeys.parse(key.publicKey()), 4).check(top);
    StorePath agent = StorePath.parse(Nix.run(work, "nix-build", file.toString(), "-A", "agent", "--no-out-link").lastLine());
    assertEquals(new ClosureReport(top, 5, List.of(), Optional.of(agent)), report);
    assertTrue(narinfos(cache).allMatch(text -> text.contains("Compression: zstd\n")), "NARs are zstd-compressed");
  }

  @Test
  void runMinusABuildsPushesAndCreatesAVmWhoseClosureIsVerified() {
    Path file = nix.writeTinyClosure();
    CacheBucket bucket = CacheBucket.create("cache");
    Map<String, String> env = cliEnv(bucket);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int exitCode = Main.execute(new String[] {"run", "--local", "-A", "top", file.toString()}, env, new PrintWriter(out, true), new PrintWriter(err, true));

    assertEquals(0, exitCode, out + "\n" + err);
    assertTrue(out.toString().startsWith("Created thebacknd-1 "), out.toString());
    String top = Nix.run(work, "nix-build", file.toString(), "-A", "top", "--no-out-link").lastLine();
    List<Instance> instances = Moto.clients().ec2().describeInstances().reservations().stream().flatMap(r -> r.instances().stream()).toList();
    assertEquals(1, instances.size());
    assertEquals(Optional.of(top), instances.get(0).tags().stream().filter(t -> t.key().equals("thebacknd:toplevel")).map(Tag::value).findFirst());
    assertTrue(bucket.get(StorePath.parse(top).narinfoName()).contains("Sig: build-test-1:"));
  }

  @Test
  void runMinusAOfAProgramPassesTheArgumentsAfterDashDash() throws IOException {
    // A program as examples/program.nix builds one: a store path that is an executable file.
    Path file = work.resolve("program-" + System.nanoTime() + ".nix");
    Files.writeString(file, """
        { greet = builtins.derivation {
            name = "greet"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
            args = [ "-c" "echo '#!/bin/sh' > $out; chmod +x $out # %s" ];
          }; }
        """.formatted(file));
    // Its own bucket: Nix remembers what it pushed to a cache URL (and would skip nix-cache-info).
    CacheBucket bucket = CacheBucket.create("program-cache");
    Map<String, String> env = cliEnv(bucket);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int exitCode = Main.execute(new String[] {"run", "--local", "--json", "-A", "greet", file.toString(), "--", "Ada", "3"},
        env, new PrintWriter(out, true), new PrintWriter(err, true));

    assertEquals(0, exitCode, out + "\n" + err);
    String greet = Nix.run(work, "nix-build", file.toString(), "-A", "greet", "--no-out-link").lastLine();
    var vm = thebacknd.Json.parse(out.toString()).path("vm");
    assertEquals(greet, vm.path("nix_binary").asText(), "a store path that is a file is a program");
    assertEquals("[\"Ada\",\"3\"]", vm.path("args").toString(), "FILE before --, the arguments after");
  }

  /** The CLI's environment for run -A against this bucket, with the closure check on. */
  private static Map<String, String> cliEnv(CacheBucket bucket) {
    Map<String, String> env = TestEnv.base();
    env.putAll(scriptEnv());
    // Debian's Nix cannot write s3:// caches; it pushes into the emulated bucket over HTTP PUT.
    env.put("NIX_CACHE", bucket.httpUrl());
    env.put("NIX_TRUSTED_KEY", key.publicKey());
    env.put("THEBACKND_VERIFY_CACHE", "true");
    env.put("THEBACKND_SCRIPTS_DIR", SCRIPT.getParent().toString());
    return env;
  }

  @Test
  void helpExplainsTheEnvironment() {
    Command.Result result = script(scriptEnv(), "--help");
    assertEquals(0, result.exitCode());
    assertTrue(result.stdout().contains("Usage: build-toplevel.sh -A ATTR [FILE]"), result.stdout());
    assertTrue(result.stdout().contains("NIX_SIGNING_KEY_FILE"), result.stdout());
    assertTrue(result.stdout().contains("NIX_CACHE_PUSH_URL"), result.stdout());
    assertTrue(result.stdout().contains("build-toplevel.sh --flake FLAKEREF#ATTR"), result.stdout());
  }

  @Test
  void refusesClearlyWhenSomethingIsMissing() {
    Path file = nix.writeTinyClosure();
    Map<String, String> env = scriptEnv();
    env.put("NIX_CACHE_PUSH_URL", "file://" + work.resolve("unused"));

    assertRefused(script(env, file.toString()), 2, "-A ATTR is required");
    assertRefused(script(env, "-A", "top", work.resolve("nope.nix").toString()), 2, "does not exist");
    assertRefused(script(env, "-A", "top", "--frobnicate", file.toString()), 2, "unknown option --frobnicate");

    Map<String, String> noKey = scriptEnv();
    noKey.put("NIX_SIGNING_KEY_FILE", "");
    noKey.put("NIX_CACHE_PUSH_URL", "file://" + work.resolve("unused"));
    assertRefused(script(noKey, "-A", "top", file.toString()), 2, "NIX_SIGNING_KEY_FILE is not set");

    Map<String, String> unreadableKey = scriptEnv();
    unreadableKey.put("NIX_SIGNING_KEY_FILE", work.resolve("no-such.secret").toString());
    unreadableKey.put("NIX_CACHE_PUSH_URL", "file://" + work.resolve("unused"));
    assertRefused(script(unreadableKey, "-A", "top", file.toString()), 2, "is not a readable file");

    Map<String, String> noCache = scriptEnv();
    noCache.put("NIX_CACHE", "");
    noCache.put("NIX_CACHE_PUSH_URL", "");
    assertRefused(script(noCache, "-A", "top", file.toString()), 2, "NIX_CACHE (or NIX_CACHE_PUSH_URL) is not set");

    assertRefused(script(env, "-A", "no-such-attribute", file.toString()), 1, "nix-build failed");

    assertRefused(script(env, "--flake", ".#top", "-A", "top"), 2, "--flake takes neither -A nor a FILE");
    assertRefused(script(env, "--flake", "no-attribute"), 2, "--flake needs FLAKEREF#ATTR");
    assertRefused(script(env, "--flake", ".#"), 2, "--flake needs FLAKEREF#ATTR");
    assertRefused(script(env, "--flake", ".#a#b"), 2, "--flake needs FLAKEREF#ATTR");
    assertRefused(script(env, "--flake"), 2, "--flake needs a FLAKEREF#ATTR");
  }

  private static void assertRefused(Command.Result result, int exitCode, String message) {
    assertEquals(exitCode, result.exitCode(), result.stderr());
    assertTrue(result.stderr().contains(message), result.stderr());
    assertEquals("", result.stdout(), "nothing on stdout when refused");
  }

  private static Map<String, String> scriptEnv() {
    Map<String, String> env = Nix.env(work.resolve(".nix-cache"));
    env.put("NIX_SIGNING_KEY_FILE", key.secretKeyFile().toString());
    return env;
  }

  private static Command.Result script(Map<String, String> env, String... args) {
    List<String> command = Stream.concat(Stream.of(SCRIPT.toString()), Stream.of(args)).toList();
    return Command.run(command, env, work, Command.DEFAULT_TIMEOUT);
  }

  /** A cache written by {@code nix copy --to file://DIR}, read straight from the directory. */
  private static BinaryCache directory(Path dir) {
    return file -> {
      Path path = dir.resolve(file);
      try {
        return Files.exists(path) ? Optional.of(Files.readString(path)) : Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  private static Stream<String> narinfos(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> found = files.filter(f -> f.toString().endsWith(".narinfo")).toList();
      assertEquals(5, found.size(), "the tiny closure: top, middle, config, leaf, agent");
      return found.stream().map(f -> {
        try {
          return Files.readString(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
