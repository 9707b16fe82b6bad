package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.regions.Region;
import thebacknd.aws.AwsClients;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.Moto;
import thebacknd.testing.NixCacheFixture;
import thebacknd.testing.NixCacheFixture.TinyClosure;
import thebacknd.testing.NixKey;

/**
 * S3 answering {@code SlowDown} (and 500s) to a third of the narinfo reads changes no verdict: the
 * S3 client retries them, and a read that failed is never taken for a missing path.
 */
class ClosureCheckUnderSlowDownTest {

  @TempDir static Path work;
  static NixCacheFixture nix;
  static NixKey key;

  private FaultProxy proxy;

  @BeforeAll
  static void key() {
    nix = new NixCacheFixture(work);
    key = nix.key("slowdown-test-1");
  }

  @BeforeEach
  void proxy() {
    Moto.reset();
    proxy = FaultProxy.forMoto(33).rule(FaultProxy.share(FaultProxy.Service.S3, 0.33,
        List.of(FaultProxy.SLOW_DOWN, FaultProxy.SLOW_DOWN, FaultProxy.S3_INTERNAL_ERROR), FaultProxy.Delivery.INSTEAD));
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  @Test
  void verdictsAreThoseOfAnUntroubledS3() {
    TinyClosure whole = nix.buildTinyClosure();
    TinyClosure broken = nix.buildTinyClosure();
    TinyClosure absent = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(whole.top(), "slowdown-cache", key);
    nix.sign(broken.top(), key);
    bucket.upload(nix.copyToFileCache(broken.top()));
    bucket.deleteNarinfo(broken.leaf());
    bucket.setNarinfoField(broken.config(), "NarSize", "7");

    for (TinyClosure closure : List.of(whole, broken, absent)) {
      ClosureReport calm = check(bucket, Moto.clients(), closure);
      ClosureReport troubled = check(bucket, throughProxy(), closure);
      assertEquals(calm.trusted(), troubled.trusted(), troubled.summary());
      assertEquals(calm.summary(), troubled.summary());
    }
    assertTrue(check(bucket, throughProxy(), whole).trusted());
    assertFalse(check(bucket, throughProxy(), broken).trusted());
    assertTrue(proxy.faults().getOrDefault("S3 GetObject", 0) > 0, "faults were injected: " + proxy.faults());
  }

  private static ClosureReport check(CacheBucket bucket, AwsClients aws, TinyClosure closure) {
    return ClosureCheck.forCache(CacheLocation.parse(bucket.s3Url()), TrustedKeys.parse(key.publicKey()), aws).check(closure.top());
  }

  private AwsClients throughProxy() {
    return new AwsClients(Optional.of(Region.US_EAST_1), Optional.of(proxy.endpoint()));
  }
}
