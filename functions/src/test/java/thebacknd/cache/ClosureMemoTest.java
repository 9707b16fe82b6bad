package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.Json;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Route;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.Moto;
import thebacknd.testing.NixKey;
import thebacknd.testing.SyntheticCache;
import thebacknd.testing.TestEnv;

/**
 * Repeated runs are cheap: a closure {@code create} verified is remembered in the warm process with
 * the keys it was verified against, for at most 24 hours, so the next create of the same path
 * reads only its top narinfo. Counted as the narinfo GETs that reach moto through a loopback proxy.
 */
class ClosureMemoTest {

  static final int PATHS = 120;

  @TempDir static Path work;
  static NixKey key;
  static NixKey otherKey;
  static SyntheticCache synthetic;

  private FaultProxy proxy;
  private final List<FaultProxy.Request> reads = new CopyOnWriteArrayList<>();
  private CacheBucket bucket;

  @BeforeAll
  static void cache() {
    key = NixKey.generateInJava(work, "memo-test-1");
    otherKey = NixKey.generateInJava(work, "memo-test-2");
    synthetic = SyntheticCache.generate(PATHS, 19, key);
  }

  @BeforeEach
  void bucketBehindAProxy() {
    Moto.reset();
    bucket = CacheBucket.create("memo-cache").upload(synthetic.files());
    proxy = FaultProxy.forMoto(19).rule(FaultProxy.record("GetObject", reads));
    // A cold JVM's first check is slow on a busy machine; a create launches only within its time budget.
    ClosureCheck.forCache(CacheLocation.parse(proxied()), TrustedKeys.parse(key.publicKey()), Moto.clients(), VerifiedClosures.none())
        .check(synthetic.root());
    reads.clear();
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  @Test
  void theSecondCreateOfAPathReadsOnlyItsTopNarinfo() {
    Api api = api(key.publicKey());

    ApiResponse first = api.handle(Route.CREATE, program(synthetic.root()));
    assertEquals(201, first.status(), first.bodyText());
    assertEquals(PATHS, narinfoReads());
    assertEquals(1, cacheInfoReads());

    reads.clear();
    ApiResponse second = api.handle(Route.CREATE, program(synthetic.root()));

    assertEquals(201, second.status(), second.bodyText());
    assertEquals(List.of(synthetic.root().narinfoName()), narinfoNames());
    assertEquals(0, cacheInfoReads());
    assertEquals(2, Moto.clients().ec2().describeInstances().reservations().size());
  }

  @Test
  void anotherPathOfTheClosureIsCheckedInFull() {
    Api api = api(key.publicKey());
    assertEquals(201, api.handle(Route.CREATE, program(synthetic.root())).status());
    reads.clear();

    StorePath leaf = synthetic.paths().get(PATHS - 1);
    assertEquals(201, api.handle(Route.CREATE, program(leaf)).status());

    assertEquals(List.of(leaf.narinfoName()), narinfoNames());
    assertEquals(1, cacheInfoReads());
  }

  @Test
  void aTopNarinfoGoneOrChangedIsCheckedInFullAgain() {
    Api api = api(key.publicKey());
    StorePath root = synthetic.root();
    String original = synthetic.files().get(root.narinfoName());
    assertEquals(201, api.handle(Route.CREATE, program(root)).status());

    reads.clear();
    bucket.delete(root.narinfoName());
    ApiResponse gone = api.handle(Route.CREATE, program(root));
    assertEquals(422, gone.status(), gone.bodyText());
    assertTrue(gone.bodyText().contains(root + " (missing)"), gone.bodyText());
    assertEquals(List.of(root.narinfoName(), root.narinfoName()), narinfoNames(), "the remembered read, then the full check's");

    bucket.put(root.narinfoName(), original);
    reads.clear();
    assertEquals(201, api.handle(Route.CREATE, program(root)).status());
    assertEquals(PATHS, narinfoReads(), "forgotten once gone: read in full");

    // Signed by the trusted key, but not the narinfo verified (another NAR): read in full again.
    NarInfo info = NarInfo.parse(original);
    bucket.put(root.narinfoName(), SyntheticCache.narinfo(root, info.narSize() + 1, info.references(), key));
    reads.clear();
    assertEquals(201, api.handle(Route.CREATE, program(root)).status());
    assertEquals(1 + PATHS, narinfoReads());

    // Edited after signing: refused, and nothing launched for it.
    bucket.setNarinfoField(root, "NarSize", "7");
    reads.clear();
    ApiResponse unsigned = api.handle(Route.CREATE, program(root));
    assertEquals(422, unsigned.status(), unsigned.bodyText());
    assertTrue(unsigned.bodyText().contains(root + " (unsigned"), unsigned.bodyText());
    assertEquals(List.of(root.narinfoName(), root.narinfoName()), narinfoNames());
    assertEquals(3, Moto.clients().ec2().describeInstances().reservations().size());
  }

  @Test
  void aFailedCheckIsNotRemembered() {
    Api api = api(key.publicKey());
    StorePath leaf = synthetic.paths().get(PATHS - 1);
    String leafNarinfo = synthetic.files().get(leaf.narinfoName());
    bucket.delete(leaf.narinfoName());
    assertEquals(422, api.handle(Route.CREATE, program(synthetic.root())).status());

    bucket.put(leaf.narinfoName(), leafNarinfo);
    reads.clear();
    assertEquals(201, api.handle(Route.CREATE, program(synthetic.root())).status());

    assertEquals(PATHS, narinfoReads());
  }

  @Test
  void anotherTrustedKeySetVerifiesAgain() {
    VerifiedClosures memo = VerifiedClosures.remembering(Clock.systemUTC());
    CacheLocation location = CacheLocation.parse(proxied());
    TrustedKeys one = TrustedKeys.parse(key.publicKey());
    TrustedKeys two = TrustedKeys.parse(key.publicKey() + " " + otherKey.publicKey());

    assertTrue(ClosureCheck.forCache(location, one, Moto.clients(), memo).check(synthetic.root()).trusted());
    reads.clear();
    assertTrue(ClosureCheck.forCache(location, two, Moto.clients(), memo).check(synthetic.root()).trusted());
    assertEquals(PATHS, narinfoReads(), "verified against other keys: read in full");

    reads.clear();
    assertTrue(ClosureCheck.forCache(location, two, Moto.clients(), memo).check(synthetic.root()).trusted());
    assertEquals(1, narinfoReads());

    reads.clear();
    ClosureReport untrusted = ClosureCheck.forCache(location, TrustedKeys.parse(otherKey.publicKey()), Moto.clients(), memo)
        .check(synthetic.root());
    assertFalse(untrusted.trusted(), "only the other key: nothing here is signed by it");
  }

  @Test
  void aVerifiedClosureIsBelievedForAtMost24Hours() {
    MovableClock clock = new MovableClock(Instant.parse("2026-12-07T00:00:00Z"));
    VerifiedClosures memo = VerifiedClosures.remembering(clock);
    ClosureCheck check = ClosureCheck.forCache(CacheLocation.parse(proxied()), TrustedKeys.parse(key.publicKey()), Moto.clients(), memo);
    assertTrue(check.check(synthetic.root()).trusted());

    clock.now = clock.now.plus(VerifiedClosures.MAX_AGE).minusSeconds(1);
    reads.clear();
    assertTrue(check.check(synthetic.root()).trusted());
    assertEquals(1, narinfoReads());

    clock.now = clock.now.plusSeconds(1);
    reads.clear();
    ClosureReport again = check.check(synthetic.root());
    assertTrue(again.trusted());
    assertEquals(PATHS, again.pathsChecked());
    assertEquals(PATHS, narinfoReads(), "24 hours after it was verified: read in full");

    clock.now = clock.now.plus(Duration.ofHours(1));
    reads.clear();
    assertTrue(check.check(synthetic.root()).trusted());
    assertEquals(1, narinfoReads(), "remembered from the new verification");
  }

  @Test
  void withoutAMemoEveryCheckReadsEverything() {
    ClosureCheck check = ClosureCheck.forCache(
        CacheLocation.parse(proxied()), TrustedKeys.parse(key.publicKey()), Moto.clients(), VerifiedClosures.none());
    check.check(synthetic.root());
    reads.clear();
    assertTrue(check.check(synthetic.root()).trusted());
    assertEquals(PATHS, narinfoReads());
  }

  private Api api(String trustedKeys) {
    Map<String, String> env = TestEnv.base();
    env.put("NIX_CACHE", proxied());
    env.put("NIX_TRUSTED_KEY", trustedKeys);
    env.put("THEBACKND_VERIFY_CACHE", "true");
    env.put("THEBACKND_MAX_VMS", "20");
    return App.fromEnvironment(env).api();
  }

  private String proxied() {
    return proxy.endpoint() + "/" + bucket.name();
  }

  private static String program(StorePath path) {
    return Json.write(Map.of("nix_binary", path + "/bin/run"));
  }

  private List<String> narinfoNames() {
    return reads.stream().map(r -> r.path().substring(r.path().lastIndexOf('/') + 1)).filter(n -> n.endsWith(".narinfo")).toList();
  }

  private int narinfoReads() {
    return narinfoNames().size();
  }

  private long cacheInfoReads() {
    return reads.stream().filter(r -> r.path().endsWith("/" + ClosureCheck.CACHE_INFO)).count();
  }

  private static final class MovableClock extends Clock {
    volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
