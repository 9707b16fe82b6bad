package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.Json;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.Command;
import thebacknd.testing.Launcher;
import thebacknd.testing.Moto;
import thebacknd.testing.Nix;
import thebacknd.testing.NixCacheFixture;
import thebacknd.testing.NixCacheFixture.TinyClosure;
import thebacknd.testing.NixKey;
import thebacknd.testing.TestEnv;

/**
 * The shaded jar through toplevel-scripts/thebacknd: {@code cache verify}, and the one-command
 * path {@code run -A} (build, sign, push into the emulated bucket, create) against {@code serve}
 * with the closure check on.
 */
class CacheLauncherIT {

  @TempDir Path work;
  NixCacheFixture nix;
  NixKey key;
  CacheBucket bucket;
  Map<String, String> env;
  Launcher.Served server;

  @BeforeEach
  void serve() {
    Moto.reset();
    nix = new NixCacheFixture(work);
    key = nix.key("launcher-test-1");
    bucket = CacheBucket.create("cache");
    env = TestEnv.base();
    env.putAll(Nix.env(work.resolve(".nix-cache")));
    env.put("NIX_CACHE", bucket.httpUrl());
    env.put("NIX_TRUSTED_KEY", key.publicKey());
    env.put("THEBACKND_VERIFY_CACHE", "true");
    env.put("NIX_SIGNING_KEY_FILE", key.secretKeyFile().toString());
    server = Launcher.serve(env);
    env.put("THEBACKND_API_URL", server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void runMinusABuildsSignsPushesAndCreates() {
    Path file = nix.writeTinyClosure();

    Command.Result run = thebacknd("run", "--json", "-A", "top", file.toString());

    assertEquals(0, run.exitCode(), run.stderr());
    String top = Json.parse(run.stdout()).path("vm").path("nix_toplevel").asText();
    assertEquals(top, Nix.run(work, "nix-build", file.toString(), "-A", "top", "--no-out-link").lastLine());
    assertEquals(0, thebacknd("cache", "verify", top).exitCode());
  }

  @Test
  void runOfAPathThatWasNeverPushedIsRefusedWith422() {
    TinyClosure pushed = nix.buildTinyClosure();
    nix.sign(pushed.top(), key);
    bucket.upload(nix.copyToFileCache(pushed.top()));
    TinyClosure closure = nix.buildTinyClosure();

    Command.Result run = thebacknd("run", closure.top().toString());

    assertEquals(1, run.exitCode());
    assertTrue(run.stderr().contains(closure.top() + " (missing)"), run.stderr());
    assertTrue(run.stderr().contains("[cache_check_failed, HTTP 422]"), run.stderr());
  }

  @Test
  void cacheVerifyExitCodes() {
    TinyClosure closure = nix.buildTinyClosure();
    nix.sign(closure.top(), key);
    bucket.upload(nix.copyToFileCache(closure.top()));

    Command.Result trusted = thebacknd("cache", "verify", closure.top().toString());
    assertEquals(0, trusted.exitCode(), trusted.stderr());
    assertTrue(trusted.stdout().contains("Checked 5 path(s)"), trusted.stdout());

    bucket.deleteNarinfo(closure.leaf());
    Command.Result incomplete = thebacknd("cache", "verify", closure.top().toString());
    assertEquals(1, incomplete.exitCode());
    assertTrue(incomplete.stdout().contains(closure.leaf() + "  missing"), incomplete.stdout());

    assertEquals(2, thebacknd("cache", "verify", "/nix/store/nope").exitCode());
  }

  private Command.Result thebacknd(String... args) {
    return Launcher.run(env, args);
  }
}
