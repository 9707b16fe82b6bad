package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;
import thebacknd.Json;
import thebacknd.cache.StorePath;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.Command;
import thebacknd.testing.Launcher;
import thebacknd.testing.Moto;
import thebacknd.testing.Nix;
import thebacknd.testing.NixCacheFixture;
import thebacknd.testing.NixKey;
import thebacknd.testing.TestEnv;

/**
 * {@code thebacknd run .#ATTR} as a developer runs it: the launcher, in a Git repository holding a
 * flake with no nixpkgs ({@code builtins.derivation} and /bin/sh), against {@code thebacknd serve}
 * with the closure check on; the local Nix builds the flake, the closure is signed and pushed into
 * the emulated bucket, and the VM is created with what it built.
 */
class FlakeRunIT {

  private static final String FLAKE = """
      {
        outputs = { self }:
          let
            mk = name: script: builtins.derivation {
              inherit name;
              salt = "%s";
              system = "x86_64-linux";
              builder = "/bin/sh";
              args = [ "-c" script ];
            };
            agent = mk "thebacknd-agent" "echo agent > $out";
            program = name: file: (mk name ''
              /bin/mkdir -p $out/bin
              printf '#!/bin/sh\\necho hello "$@"\\n' > $out/bin/${file}
              /bin/chmod +x $out/bin/${file}
            '');
          in {
            packages.x86_64-linux.greet = (program "greet-1.0" "greet") // { pname = "greet"; };
            packages.x86_64-linux.tool = (program "tool-2.0" "say-hello") // { meta.mainProgram = "say-hello"; };
            packages.x86_64-linux.broken = (program "broken-1.0" "other") // { pname = "broken"; };
            nixosConfigurations.web.config.system.build.toplevel = mk "nixos-system-web-26.05" ''
              /bin/mkdir -p $out/bin
              echo ${agent} > $out/references
              printf '#!/bin/sh\\n' > $out/bin/switch-to-configuration
              /bin/chmod +x $out/bin/switch-to-configuration
            '';
          };
      }
      """;

  @TempDir Path work;
  private Path repo;
  private CacheBucket bucket;
  private Launcher.Served server;
  private Map<String, String> cliEnv;

  @BeforeEach
  void serveAndWriteTheFlake() throws IOException {
    Moto.reset();
    NixKey key = new NixCacheFixture(work).key("flake-test-1");
    bucket = CacheBucket.create("flake-cache");
    Map<String, String> serveEnv = TestEnv.base();
    serveEnv.put("NIX_CACHE", bucket.httpUrl());
    serveEnv.put("NIX_TRUSTED_KEY", key.publicKey());
    serveEnv.put("THEBACKND_VERIFY_CACHE", "true");
    server = Launcher.serve(serveEnv);
    cliEnv = TestEnv.base();
    cliEnv.putAll(Nix.env(work.resolve(".nix-cache")));
    cliEnv.put("NIX_CACHE", bucket.httpUrl());
    cliEnv.put("NIX_SIGNING_KEY_FILE", key.secretKeyFile().toString());
    cliEnv.put("THEBACKND_API_URL", server.url());
    cliEnv.put("HOME", work.toString());

    repo = Files.createDirectory(work.resolve("repo"));
    // Salted: Nix remembers what it pushed to a cache URL, and each test has a fresh bucket.
    Files.writeString(repo.resolve("flake.nix"), FLAKE.formatted(System.nanoTime()));
    git("init", "-q", ".");
    git("add", "flake.nix");
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "a flake");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aPackageIsBuiltHereSignedPushedAndLaunchedAsItsProgramWithItsArguments() {
    Command.Result run = thebacknd("run", "--json", ".#greet", "--", "Ada", "-n");
    assertEquals(0, run.exitCode(), run.stderr());
    String built = nixBuild(".#greet");
    JsonNode vm = Json.parse(run.stdout()).path("vm");
    assertEquals(built + "/bin/greet", vm.path("nix_binary").asText(), "bin/<pname>");
    assertEquals("[\"Ada\",\"-n\"]", vm.path("args").toString());
    assertEquals(Optional.of(built + "/bin/greet"), tag("thebacknd:binary"));
    assertTrue(bucket.get(StorePath.parse(built).narinfoName()).contains("Sig: flake-test-1:"), "signed and pushed");
    assertTrue(run.stderr().contains("nix build, flakes on"), run.stderr());
  }

  @Test
  void aPackagesMainProgramIsWhatRuns() {
    Command.Result run = thebacknd("run", "--json", ".#tool");
    assertEquals(0, run.exitCode(), run.stderr());
    assertEquals(nixBuild(".#tool") + "/bin/say-hello", Json.parse(run.stdout()).path("vm").path("nix_binary").asText());
  }

  @Test
  void aNixosSystemIsLaunchedAsItsToplevel() {
    Command.Result run = thebacknd("run", "--json", ".#nixosConfigurations.web");
    assertEquals(0, run.exitCode(), run.stderr());
    String toplevel = nixBuild(".#nixosConfigurations.web.config.system.build.toplevel");
    assertEquals(toplevel, Json.parse(run.stdout()).path("vm").path("nix_toplevel").asText());
    assertEquals(Optional.of(toplevel), tag("thebacknd:toplevel"));
  }

  @Test
  void whatCannotBeBuiltOrRunLaunchesNothing() {
    Command.Result missing = thebacknd("run", ".#nope");
    assertEquals(1, missing.exitCode(), missing.stderr());
    assertTrue(missing.stderr().contains("a NixOS system is FLAKEREF#nixosConfigurations.NAME"), missing.stderr());
    assertTrue(missing.stderr().contains("nothing was created"), missing.stderr());

    Command.Result noProgram = thebacknd("run", ".#broken");
    assertEquals(1, noProgram.exitCode(), noProgram.stderr());
    assertTrue(noProgram.stderr().contains("has no executable bin/broken"), noProgram.stderr());

    Command.Result malformed = thebacknd("run", ".#greet#x");
    assertEquals(2, malformed.exitCode(), malformed.stderr());
    assertTrue(malformed.stderr().startsWith("thebacknd: invalid flake reference .#greet#x: "), malformed.stderr());
    assertEquals(List.of(), instances(), "nothing was launched");
  }

  private Command.Result thebacknd(String... args) {
    return Command.run(Stream.concat(Stream.of(Launcher.path()), Stream.of(args)).toList(), cliEnv, repo, Duration.ofMinutes(3));
  }

  private String nixBuild(String installable) {
    return Command.run(List.of("nix", "--extra-experimental-features", "nix-command flakes", "eval", "--raw", installable + ".outPath"),
        cliEnv, repo, Duration.ofMinutes(1)).requireSuccess().lastLine();
  }

  private void git(String... args) {
    Command.run(Stream.concat(Stream.of("git"), Stream.of(args)).toList(), cliEnv, repo, Duration.ofSeconds(30)).requireSuccess();
  }

  private static List<Instance> instances() {
    return Moto.clients().ec2().describeInstances().reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  private static Optional<String> tag(String key) {
    List<Instance> all = instances();
    assertEquals(1, all.size());
    return all.get(0).tags().stream().filter(t -> t.key().equals(key)).map(Tag::value).findFirst();
  }
}
