package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.testing.Command;
import thebacknd.testing.Nix;
import thebacknd.testing.Repo;

/** infra/generate-signing-key.sh: a Nix key pair, idempotent, never overwritten. */
class GenerateSigningKeyScriptTest {

  static final Path SCRIPT = Repo.root().resolve("infra/generate-signing-key.sh");

  @TempDir Path dir;

  @Test
  void generatesAKeyPairTheClosureCheckTrusts() throws IOException {
    Path keys = dir.resolve("keys");
    Command.Result result = script("cache.example.org-1", keys.toString());

    assertEquals(0, result.exitCode(), result.stderr());
    String publicKey = result.lastLine();
    assertTrue(publicKey.startsWith("cache.example.org-1:"), publicKey);
    assertEquals(List.of("cache.example.org-1"), TrustedKeys.parse(publicKey).names());
    assertEquals(publicKey, Files.readString(keys.resolve("cache.example.org-1.public")).trim());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve("cache.example.org-1.secret"))));
  }

  @Test
  void runningItAgainKeepsTheKey() throws IOException {
    String first = script("k-1", dir.toString()).requireSuccess().lastLine();
    String secret = Files.readString(dir.resolve("k-1.secret"));

    Command.Result again = script("k-1", dir.toString());

    assertEquals(0, again.exitCode(), again.stderr());
    assertEquals(first, again.lastLine());
    assertEquals(secret, Files.readString(dir.resolve("k-1.secret")));
    assertTrue(again.stderr().contains("already exists; keeping it"), again.stderr());
  }

  @Test
  void refusesToOverwriteHalfAKeyPair() throws IOException {
    Files.writeString(dir.resolve("k-1.secret"), "precious");

    Command.Result result = script("k-1", dir.toString());

    assertEquals(1, result.exitCode());
    assertTrue(result.stderr().contains("refusing to overwrite"), result.stderr());
    assertEquals("precious", Files.readString(dir.resolve("k-1.secret")));
    assertTrue(Files.notExists(dir.resolve("k-1.public")));
  }

  @Test
  void usage() {
    Command.Result help = script("--help");
    assertEquals(0, help.exitCode());
    assertTrue(help.stdout().contains("Usage: generate-signing-key.sh [NAME [DIR]]"), help.stdout());
    assertEquals(2, script("bad name!", dir.toString()).exitCode());
    assertEquals(2, script("a", "b", "c").exitCode());
    assertEquals(2, script("--frobnicate").exitCode());
  }

  private Command.Result script(String... args) {
    Map<String, String> env = Nix.env(dir.resolve(".nix-cache"));
    List<String> command = Stream.concat(Stream.of(SCRIPT.toString()), Stream.of(args)).toList();
    return Command.run(command, env, dir, Command.DEFAULT_TIMEOUT);
  }
}
