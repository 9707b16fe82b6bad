package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.ec2.model.Instance;
import thebacknd.Json;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.Moto;
import thebacknd.testing.NixCacheFixture;
import thebacknd.testing.NixCacheFixture.TinyClosure;
import thebacknd.testing.NixKey;
import thebacknd.testing.TestEnv;
import thebacknd.edge.App;

/** {@code POST /create} proves the closure before launching anything (DESIGN §6). */
class CreateChecksCacheTest {

  @TempDir static Path work;
  static NixCacheFixture nix;
  static NixKey key;

  @BeforeAll
  static void key() {
    nix = new NixCacheFixture(work);
    key = nix.key("create-test-1");
  }

  @BeforeEach
  void emptyMoto() {
    Moto.reset();
  }

  @ParameterizedTest
  @EnumSource(ClosureCheckNixTest.Transport.class)
  void anAbsentPathIs422NamingItAndNothingIsLaunched(ClosureCheckNixTest.Transport transport) {
    TinyClosure pushed = nix.buildTinyClosure();
    TinyClosure absent = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(pushed.top(), "cache", key);

    ApiResponse response = api(transport.url(bucket)).handle(Route.CREATE, body("nix_toplevel", absent.top().toString()));

    assertEquals(422, response.status(), response.bodyText());
    assertEquals("cache_check_failed", response.body().path("error").path("code").asText());
    String message = response.body().path("error").path("message").asText();
    assertTrue(message.contains(absent.top() + " (missing)"), message);
    assertEquals(List.of(), instances());
  }

  @Test
  void aProgramWhoseClosureIsIncompleteIs422AndNothingIsLaunched() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);
    bucket.deleteNarinfo(closure.leaf());
    bucket.setNarinfoField(closure.config(), "NarSize", "7");

    ApiResponse response = api(bucket.httpUrl()).handle(Route.CREATE, body("nix_binary", closure.top() + "/bin/run"));

    assertEquals(422, response.status(), response.bodyText());
    String message = response.body().path("error").path("message").asText();
    assertTrue(message.contains(closure.leaf() + " (missing)"), message);
    assertTrue(message.contains(closure.config() + " (unsigned: the signature by create-test-1 does not match"), message);
    assertEquals(List.of(), instances());
  }

  @Test
  void aTrustedClosureIsLaunched() {
    TinyClosure closure = nix.buildTinyClosure();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);

    ApiResponse response = api(bucket.s3Url()).handle(Route.CREATE, body("nix_toplevel", closure.top().toString()));

    assertEquals(201, response.status(), response.bodyText());
    assertEquals(closure.top().toString(), response.body().path("vm").path("nix_toplevel").asText());
    assertEquals(1, instances().size());
  }

  @Test
  void aSignedToplevelWithoutTheAgentIs422AndNothingIsLaunched() {
    TinyClosure closure = nix.buildTinyClosureWithoutAgent();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);

    ApiResponse response = api(bucket.httpUrl()).handle(Route.CREATE, body("nix_toplevel", closure.top().toString()));

    assertEquals(422, response.status(), response.bodyText());
    assertEquals("toplevel_without_agent", response.body().path("error").path("code").asText());
    String message = response.body().path("error").path("message").asText();
    assertTrue(message.contains(closure.top().toString()) && message.contains("nixosModules.default"), message);
    assertEquals(List.of(), instances());
  }

  @Test
  void aToplevelWithMissingPathsIs422CacheCheckFailedEvenWithoutTheAgent() {
    TinyClosure closure = nix.buildTinyClosureWithoutAgent();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);
    bucket.deleteNarinfo(closure.leaf());

    ApiResponse response = api(bucket.httpUrl()).handle(Route.CREATE, body("nix_toplevel", closure.top().toString()));

    assertEquals(422, response.status(), response.bodyText());
    assertEquals("cache_check_failed", response.body().path("error").path("code").asText());
    assertEquals(List.of(), instances());
  }

  @Test
  void aProgramNeedsNoAgent() {
    TinyClosure closure = nix.buildTinyClosureWithoutAgent();
    CacheBucket bucket = nix.push(closure.top(), "cache", key);

    ApiResponse response = api(bucket.httpUrl()).handle(Route.CREATE, body("nix_binary", closure.top() + "/bin/run"));

    assertEquals(201, response.status(), response.bodyText());
    assertEquals(1, instances().size());
  }

  @Test
  void anUnreachableCacheIs502AndNothingIsLaunched() {
    TinyClosure closure = nix.buildTinyClosure();

    ApiResponse response = api("s3://no-such-bucket?region=us-east-1").handle(Route.CREATE, body("nix_toplevel", closure.top().toString()));

    assertEquals(502, response.status(), response.bodyText());
    assertEquals("cache_unreachable", response.body().path("error").path("code").asText());
    assertEquals(List.of(), instances());
  }

  @Test
  void withTheCheckOffAnAbsentPathIsLaunchedAnyway() {
    TinyClosure absent = nix.buildTinyClosure();
    CacheBucket.create("cache");
    Map<String, String> env = TestEnv.base();
    env.put("NIX_CACHE", Moto.endpoint() + "/cache");
    env.put("NIX_TRUSTED_KEY", key.publicKey());
    env.put("THEBACKND_VERIFY_CACHE", "false");

    ApiResponse response = App.fromEnvironment(env).api().handle(Route.CREATE, body("nix_toplevel", absent.top().toString()));

    assertEquals(201, response.status(), response.bodyText());
    assertEquals(1, instances().size());
  }

  private static Api api(String nixCache) {
    Map<String, String> env = TestEnv.base();
    env.put("NIX_CACHE", nixCache);
    env.put("NIX_TRUSTED_KEY", key.publicKey());
    env.put("THEBACKND_VERIFY_CACHE", "true");
    return App.fromEnvironment(env).api();
  }

  private static String body(String field, String path) {
    return Json.write(Map.of(field, path));
  }

  private static List<Instance> instances() {
    return Moto.clients().ec2().describeInstances().reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }
}
