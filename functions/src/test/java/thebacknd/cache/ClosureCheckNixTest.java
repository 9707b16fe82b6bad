package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import thebacknd.Failure;
import thebacknd.cache.ClosureReport.PathProblem;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.Moto;
import thebacknd.testing.Nix;
import thebacknd.testing.NixCacheFixture;
import thebacknd.testing.NixCacheFixture.TinyClosure;
import thebacknd.testing.NixKey;

/**
 * The closure check against caches made by real Nix (build, {@code nix store sign}, {@code nix copy
 * --to file://}, uploaded to moto), read through S3 and over HTTP: both must give the same answer,
 * and real Nix ({@code nix store verify} over HTTP) must agree with it.
 */
class ClosureCheckNixTest {

  @TempDir static Path work;
  static NixCacheFixture nix;
  static NixKey k1;
  static NixKey k2;
  static NixKey stranger;

  /** The two ways the functions read a cache. */
  enum Transport {
    S3,
    HTTP;

    String url(CacheBucket bucket) {
      return this == S3 ? bucket.s3Url() : bucket.httpUrl();
    }
  }

  @BeforeAll
  static void keys() {
    nix = new NixCacheFixture(work);
    k1 = nix.key("test-cache-1");
    k2 = nix.key("test-cache-2");
    stranger = nix.key("stranger-1");
  }

  @BeforeEach
  void emptyMoto() {
    Moto.reset();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aClosureSignedByNixIsTrusted(Transport transport) {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", k1);

    ClosureReport report = check(transport, bucket, k1.publicKey(), closure.top());

    assertEquals(new ClosureReport(closure.top(), 5, List.of(), closure.agent()), report);
    assertNixAgrees(bucket, k1.publicKey(), closure.top(), report);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aClosureSignedByAnUntrustedKeyIsNot(Transport transport) {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", stranger);

    ClosureReport report = check(transport, bucket, k1.publicKey(), closure.top());

    assertEquals(List.of(new PathProblem(closure.top(), "unsigned: signed only by untrusted keys (stranger-1)")), report.problems());
    assertNixAgrees(bucket, k1.publicKey(), closure.top(), report);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aNarSizeEditedAfterSigningIsCaught(Transport transport) {
    assertEditCaught(transport, "NarSize", "999999");
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aNarHashEditedAfterSigningIsCaught(Transport transport) {
    assertEditCaught(transport, "NarHash", "sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void referencesEditedAfterSigningAreCaught(Transport transport) {
    assertEditCaught(transport, "References", "");
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aDeletedDependencyIsMissing(Transport transport) {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", k1);
    bucket.deleteNarinfo(closure.leaf());

    ClosureReport report = check(transport, bucket, k1.publicKey(), closure.top());

    assertEquals(new ClosureReport(closure.top(), 5, List.of(new PathProblem(closure.leaf(), "missing")), closure.agent()), report);
    assertTrue(report.summary().contains(closure.leaf() + " (missing)"), report.summary());
    assertNixAgrees(bucket, k1.publicKey(), closure.top(), report);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void anAbsentPathIsMissing(Transport transport) {
    TinyClosure pushed = nix.buildTinyClosure();
    TinyClosure neverPushed = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(pushed.top(), "cache", k1);

    ClosureReport report = check(transport, bucket, k1.publicKey(), neverPushed.top());

    assertEquals(new ClosureReport(neverPushed.top(), 1, List.of(new PathProblem(neverPushed.top(), "missing")), Optional.empty()), report);
    assertNixAgrees(bucket, k1.publicKey(), neverPushed.top(), report);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void withTwoTrustedKeysASignatureByTheSecondIsEnough(Transport transport) {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", k2);
    String bothKeys = k1.publicKey() + " " + k2.publicKey();

    ClosureReport report = check(transport, bucket, bothKeys, closure.top());

    assertEquals(new ClosureReport(closure.top(), 5, List.of(), closure.agent()), report);
    assertNixAgrees(bucket, bothKeys, closure.top(), report);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aNarHashRewrittenInBase16StillVerifiesAsWithNix(Transport transport) {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", k1);
    String narHash = NarInfo.parse(bucket.get(closure.middle().narinfoName())).narHash();
    bucket.setNarinfoField(closure.middle(), "NarHash", "sha256:" + HexFormat.of().formatHex(NixHash.parseSha256(narHash)));

    ClosureReport report = check(transport, bucket, k1.publicKey(), closure.top());

    assertEquals(new ClosureReport(closure.top(), 5, List.of(), closure.agent()), report);
    assertNixAgrees(bucket, k1.publicKey(), closure.top(), report);
  }

  @Test
  void s3AndHttpGiveTheSameReport() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", k1);
    bucket.deleteNarinfo(closure.leaf());
    bucket.setNarinfoField(closure.config(), "NarSize", "1");
    bucket.put(closure.middle().narinfoName(), "not a narinfo\n");

    ClosureReport overS3 = check(Transport.S3, bucket, k1.publicKey(), closure.top());
    ClosureReport overHttp = check(Transport.HTTP, bucket, k1.publicKey(), closure.top());

    assertEquals(overS3, overHttp);
    assertEquals(List.of(closure.config(), closure.leaf(), closure.middle()).stream().sorted(
        (a, b) -> a.toString().compareTo(b.toString())).toList(),
        overS3.problems().stream().map(PathProblem::path).toList());
    assertNixAgrees(bucket, k1.publicKey(), closure.top(), overHttp);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aCompressedNarinfoIsMalformedWithAHint(Transport transport) {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", k1);
    Moto.clients().s3().putObject(
        b -> b.bucket("cache").key(closure.leaf().narinfoName()).contentEncoding("xz")
            .acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ),
        software.amazon.awssdk.core.sync.RequestBody.fromString(bucket.get(closure.leaf().narinfoName())));

    ClosureReport report = check(transport, bucket, k1.publicKey(), closure.top());

    assertEquals(1, report.problems().size(), report.summary());
    assertTrue(report.problems().get(0).reason().contains("Content-Encoding xz"), report.summary());
  }

  @Test
  void theAgentsPackageIsFoundInTheClosureOrNot() {
    TinyClosure with = nix.buildTinyClosure();
    TinyClosure without = nix.buildTinyClosureWithoutAgent();
    CacheBucket bucket = nix.push(with.top(), "cache", k1);
    nix.sign(without.top(), k1);
    bucket.upload(nix.copyToFileCache(without.top()));

    assertEquals("thebacknd-agent", with.agent().orElseThrow().name());
    assertEquals(with.agent(), check(Transport.HTTP, bucket, k1.publicKey(), with.top()).agent());
    ClosureReport report = check(Transport.HTTP, bucket, k1.publicKey(), without.top());
    assertEquals(new ClosureReport(without.top(), 4, List.of(), Optional.empty()), report);
  }

  @Test
  void anAgentNamedOnlyByAnUnsignedNarinfoIsNotFound() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", k1);
    bucket.setNarinfoField(closure.top(), "NarSize", "1");

    ClosureReport report = check(Transport.HTTP, bucket, k1.publicKey(), closure.top());

    assertEquals(Optional.empty(), report.agent());
    assertEquals(List.of(closure.top()), report.problems().stream().map(PathProblem::path).toList());
  }

  @Test
  void aBucketThatDoesNotExistIsUnreachableNotMissing() {
    TinyClosure closure = nix.buildTinyClosure();
    Failure failure = assertThrows(Failure.class,
        () -> ClosureCheck.forCache(CacheLocation.parse("s3://no-such-bucket?region=us-east-1"), TrustedKeys.parse(k1.publicKey()), Moto.clients()).check(closure.top()));
    assertEquals(502, failure.status());
    assertTrue(failure.getMessage().contains("NoSuchBucket"), failure.getMessage());
  }

  @Test
  void aPrivateBucketOverHttpIsUnreachableNotMissing() {
    TinyClosure closure = nix.buildTinyClosure();
    Moto.clients().s3().createBucket(b -> b.bucket("private-cache"));
    Moto.clients().s3().putObject(b -> b.bucket("private-cache").key("nix-cache-info"),
        software.amazon.awssdk.core.sync.RequestBody.fromString("StoreDir: /nix/store\n"));

    Failure failure = assertThrows(Failure.class,
        () -> ClosureCheck.forCache(CacheLocation.parse(Moto.endpoint() + "/private-cache"), TrustedKeys.parse(k1.publicKey()), Moto.clients()).check(closure.top()));

    assertEquals(502, failure.status());
    assertEquals("cache_unreachable", failure.code());
    assertTrue(failure.getMessage().contains("HTTP 403"), failure.getMessage());
  }

  @Test
  void aServerThatIsNotThereIsUnreachable() {
    TinyClosure closure = nix.buildTinyClosure();
    Failure failure = assertThrows(Failure.class,
        () -> ClosureCheck.forCache(CacheLocation.parse("http://127.0.0.1:9/cache"), TrustedKeys.parse(k1.publicKey()), Moto.clients()).check(closure.top()));
    assertEquals(502, failure.status());
    assertTrue(failure.getMessage().contains("after 3 attempts"), failure.getMessage());
  }

  private static void assertEditCaught(Transport transport, String field, String value) {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", k1);
    bucket.setNarinfoField(closure.middle(), field, value);

    ClosureReport report = check(transport, bucket, k1.publicKey(), closure.top());

    assertEquals(
        List.of(new PathProblem(closure.middle(), "unsigned: the signature by test-cache-1 does not match this narinfo (edited after signing?)")),
        report.problems());
    assertNixAgrees(bucket, k1.publicKey(), closure.top(), report);
  }

  static ClosureReport check(Transport transport, CacheBucket bucket, String trustedKeys, StorePath root) {
    return ClosureCheck.forCache(CacheLocation.parse(transport.url(bucket)), TrustedKeys.parse(trustedKeys), Moto.clients()).check(root);
  }

  /** Real Nix, reading the same bucket over HTTP, reaches the same verdict. */
  static void assertNixAgrees(CacheBucket bucket, String trustedKeys, StorePath root, ClosureReport report) {
    var nixVerdict = Nix.verify(work, bucket.httpUrl(), trustedKeys, root.toString());
    assertEquals(report.trusted(), nixVerdict.exitCode() == 0,
        "nix store verify exited " + nixVerdict.exitCode() + " but our report says: " + report.summary() + "\n" + nixVerdict.stderr());
  }
}
