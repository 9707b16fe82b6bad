package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.Json;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;
import thebacknd.testing.NixCacheFixture;
import thebacknd.testing.NixCacheFixture.TinyClosure;
import thebacknd.testing.NixKey;

/** {@code thebacknd cache verify PATH}: exit 0 trusted and complete, 1 not, 2 usage or configuration. */
class CacheVerifyCommandTest {

  @TempDir static Path work;
  static NixCacheFixture nix;
  static NixKey key;

  record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void key() {
    nix = new NixCacheFixture(work);
    key = nix.key("cli-test-1");
  }

  @BeforeEach
  void emptyMoto() {
    Moto.reset();
  }

  @Test
  void exit0ForATrustedClosureAndSaysWhatItChecked() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);

    Run run = run(env(bucket.s3Url()), "cache", "verify", closure.top().toString());

    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("Checked 5 path(s) in the closure of " + closure.top()), run.out());
    assertTrue(run.out().contains("trusted keys: cli-test-1"), run.out());
    assertTrue(run.out().contains("OK: every path is in the cache and signed by a trusted key."), run.out());
    assertTrue(run.out().contains("agent:        " + closure.agent().orElseThrow()), run.out());
  }

  @Test
  void saysWhenTheClosureHasNoAgent() {
    TinyClosure closure = nix.buildTinyClosureWithoutAgent();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);

    Run human = run(env(bucket.httpUrl()), "cache", "verify", closure.top().toString());
    Run json = run(env(bucket.httpUrl()), "cache", "verify", "--json", closure.top().toString());

    assertEquals(0, human.exitCode(), "trusted, whatever it is used for: " + human.err());
    assertTrue(human.out().contains("agent:        none (as a toplevel, create refuses it: 422 toplevel_without_agent)"), human.out());
    assertTrue(Json.parse(json.out()).path("agent").isNull(), json.out());
  }

  @Test
  void saysTheAgentIsUnknownWhenTheWalkStoppedAtTheRoot() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);
    NixKey other = nix.key("cli-test-other");

    Run run = run(motoEnv(), "cache", "verify", "--cache", bucket.httpUrl(), "--trusted-key", other.publicKey(), closure.top().toString());

    assertEquals(1, run.exitCode(), run.err());
    assertTrue(run.out().contains("agent:        unknown (the walk stopped at the root)"), run.out());
  }

  /** {@code ./result}, the symlink nix-build leaves, is the store path it points to. */
  @Test
  void followsAResultSymlinkIntoTheStore() throws Exception {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);
    Path result = Files.createSymbolicLink(Files.createTempDirectory(work, "build").resolve("result"), Path.of(closure.top().toString()));

    Run run = run(env(bucket.httpUrl()), "cache", "verify", result.toString());

    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("in the closure of " + closure.top()), run.out());
  }

  @Test
  void exit1ListingWhatFailed() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);
    bucket.deleteNarinfo(closure.leaf());

    Run run = run(env(bucket.httpUrl()), "cache", "verify", closure.top() + "/bin/program");

    assertEquals(1, run.exitCode(), run.out() + run.err());
    assertTrue(run.out().contains("FAILED: 1 path(s) are not fetchable and trusted:"), run.out());
    assertTrue(run.out().contains("  " + closure.leaf() + "  missing"), run.out());
  }

  @Test
  void jsonReport() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);
    bucket.setNarinfoField(closure.middle(), "References", "");

    Run run = run(env(bucket.httpUrl()), "cache", "verify", "--json", closure.top().toString());

    assertEquals(1, run.exitCode(), run.err());
    JsonNode report = Json.parse(run.out());
    assertEquals(closure.top().toString(), report.path("root").asText());
    assertEquals(bucket.httpUrl(), report.path("cache").asText());
    assertEquals("cli-test-1", report.path("trusted_keys").get(0).asText());
    assertEquals(5, report.path("paths_checked").asInt());
    assertEquals(closure.agent().orElseThrow().toString(), report.path("agent").asText());
    assertEquals(false, report.path("trusted").asBoolean());
    assertEquals(closure.middle().toString(), report.path("problems").get(0).path("path").asText());
    assertTrue(report.path("problems").get(0).path("reason").asText().startsWith("unsigned: "), run.out());
  }

  @Test
  void optionsOverrideTheEnvironment() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);

    Run run = run(motoEnv(), "cache", "verify", "--cache", bucket.httpUrl(), "--trusted-key", key.publicKey(), closure.top().toString());

    assertEquals(0, run.exitCode(), run.err());
  }

  @Test
  void exit1WhenTheCacheCannotBeRead() {
    TinyClosure closure = nix.buildTinyClosure();

    Run run = run(env("s3://no-such-bucket"), "cache", "verify", closure.top().toString());

    assertEquals(1, run.exitCode(), run.out());
    assertTrue(run.err().contains("NoSuchBucket"), run.err());
  }

  @Test
  void exit2ForABadPath() {
    Run run = run(env("s3://cache"), "cache", "verify", "/nix/store/not-a-store-path");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("invalid PATH /nix/store/not-a-store-path"), run.err());
  }

  @Test
  void exit2ForMissingOrBadConfiguration() {
    String path = "/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top";
    Run noCache = run(motoEnv(), "cache", "verify", path);
    assertEquals(2, noCache.exitCode());
    assertTrue(noCache.err().contains("NIX_CACHE is required (or --cache)"), noCache.err());

    Map<String, String> badKey = env("s3://cache");
    badKey.put("NIX_TRUSTED_KEY", "cli-test-1:tooshort");
    Run bad = run(badKey, "cache", "verify", path);
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains("NIX_TRUSTED_KEY"), bad.err());

    Run badUrl = run(env("ftp://cache"), "cache", "verify", path);
    assertEquals(2, badUrl.exitCode());
    assertTrue(badUrl.err().contains("NIX_CACHE"), badUrl.err());
  }

  @Test
  void exit2WithoutASubcommandOrPath() {
    assertEquals(2, run(motoEnv(), "cache").exitCode());
    assertEquals(2, run(motoEnv(), "cache", "verify").exitCode());
  }

  private static Map<String, String> motoEnv() {
    return TestEnv.aws();
  }

  private static Map<String, String> env(String nixCache) {
    Map<String, String> env = motoEnv();
    env.put("NIX_CACHE", nixCache);
    env.put("NIX_TRUSTED_KEY", key.publicKey());
    return env;
  }

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exitCode = Main.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(exitCode, out.toString(), err.toString());
  }
}
