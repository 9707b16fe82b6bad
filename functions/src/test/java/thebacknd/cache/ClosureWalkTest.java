package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.Failure;
import thebacknd.testing.NixKey;
import thebacknd.testing.SyntheticCache;

/** The walk itself, over an in-memory cache: each path once, bounded, every problem collected. */
class ClosureWalkTest {

  @TempDir Path dir;

  /** An in-memory cache that counts reads and the most reads it saw at once. */
  static final class CountingCache implements BinaryCache {
    final Map<String, String> files;
    final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();

    CountingCache(Map<String, String> files) {
      this.files = new HashMap<>(files);
    }

    @Override
    public Optional<String> read(String fileName) {
      reads.computeIfAbsent(fileName, f -> new AtomicInteger()).incrementAndGet();
      mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        Thread.sleep(1); // long enough for reads to overlap
        return Optional.ofNullable(files.get(fileName));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      } finally {
        inFlight.decrementAndGet();
      }
    }
  }

  @Test
  void readsEveryPathOfALargeClosureExactlyOnceWithBoundedParallelism() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    SyntheticCache synthetic = SyntheticCache.generate(500, 11, key);
    CountingCache cache = new CountingCache(synthetic.files());
    ClosureReport report = new ClosureCheck(cache, TrustedKeys.parse(key.publicKey()), 8).check(synthetic.root());

    assertTrue(report.trusted(), report.summary());
    assertEquals(500, report.pathsChecked());
    assertEquals(501, cache.reads.size(), "every narinfo and nix-cache-info");
    assertTrue(cache.reads.values().stream().allMatch(n -> n.get() == 1), "some file was read twice: " + cache.reads);
    assertTrue(cache.mostInFlight.get() <= 8, "at most 8 reads at once, saw " + cache.mostInFlight.get());
    assertTrue(cache.mostInFlight.get() > 1, "reads should overlap");
  }

  @Test
  void collectsEveryProblemNotJustTheFirst() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    SyntheticCache synthetic = SyntheticCache.generate(200, 12, key);
    Map<String, String> files = new HashMap<>(synthetic.files());
    List<StorePath> leaves = leaves(synthetic, files);
    assertTrue(leaves.size() >= 8, "the graph has leaves");
    for (StorePath leaf : leaves.subList(0, 7)) {
      files.remove(leaf.narinfoName());
    }
    StorePath malformed = leaves.get(7);
    files.put(malformed.narinfoName(), "garbage\n");

    ClosureReport report = new ClosureCheck(new CountingCache(files), TrustedKeys.parse(key.publicKey()), 4).check(synthetic.root());

    assertEquals(8, report.problems().size(), report.summary());
    assertEquals(200, report.pathsChecked());
    Map<String, Long> reasons =
        report.problems().stream().collect(Collectors.groupingBy(p -> p.reason().split(":")[0], Collectors.counting()));
    assertEquals(Map.of("missing", 7L, "malformed", 1L), reasons);
    assertTrue(report.summary().endsWith(" and 3 more."), report.summary());
    List<String> named = report.problems().stream().map(p -> p.path().toString()).toList();
    assertEquals(named.stream().sorted().toList(), named, "problems are sorted by path");
  }

  @Test
  void aMissingRootIsTheOnlyProblem() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    SyntheticCache synthetic = SyntheticCache.generate(20, 13, key);
    Map<String, String> files = new HashMap<>(synthetic.files());
    files.remove(synthetic.root().narinfoName());
    ClosureReport report = new ClosureCheck(new CountingCache(files), TrustedKeys.parse(key.publicKey()), 4).check(synthetic.root());
    assertEquals(List.of(new ClosureReport.PathProblem(synthetic.root(), "missing")), report.problems());
    assertEquals(1, report.pathsChecked());
    assertTrue(report.summary().contains(synthetic.root() + " (missing)"), report.summary());
  }

  @Test
  void referencesOfAnUnsignedNarinfoAreNotFollowed() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    NixKey stranger = NixKey.generateInJava(dir, "stranger-1");
    SyntheticCache synthetic = SyntheticCache.generate(50, 14, stranger);
    CountingCache cache = new CountingCache(synthetic.files());
    ClosureReport report = new ClosureCheck(cache, TrustedKeys.parse(key.publicKey()), 4).check(synthetic.root());
    assertEquals(1, report.pathsChecked());
    assertEquals("unsigned: signed only by untrusted keys (stranger-1)", report.problems().get(0).reason());
    assertEquals(2, cache.reads.size(), "only nix-cache-info and the root were read");
  }

  @Test
  void aNarinfoForAnotherPathIsMalformed() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    SyntheticCache synthetic = SyntheticCache.generate(3, 15, key);
    Map<String, String> files = new HashMap<>(synthetic.files());
    StorePath child = synthetic.paths().get(1);
    files.put(child.narinfoName(), files.get(synthetic.paths().get(2).narinfoName()));
    ClosureReport report = new ClosureCheck(new CountingCache(files), TrustedKeys.parse(key.publicKey()), 4).check(synthetic.root());
    assertEquals(new ClosureReport.PathProblem(child, "malformed: its narinfo is for " + synthetic.paths().get(2)),
        report.problems().stream().filter(p -> p.path().equals(child)).findFirst().orElseThrow());
  }

  @Test
  void aCacheWithoutNixCacheInfoIsRefused() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    SyntheticCache synthetic = SyntheticCache.generate(3, 16, key);
    Map<String, String> files = new HashMap<>(synthetic.files());
    files.remove("nix-cache-info");
    Failure failure = assertThrows(Failure.class,
        () -> new ClosureCheck(new CountingCache(files), TrustedKeys.parse(key.publicKey()), 4).check(synthetic.root()));
    assertEquals(422, failure.status());
    assertTrue(failure.getMessage().contains("nix-cache-info"), failure.getMessage());

    files.put("nix-cache-info", "StoreDir: /gnu/store\n");
    Failure otherStore = assertThrows(Failure.class,
        () -> new ClosureCheck(new CountingCache(files), TrustedKeys.parse(key.publicKey()), 4).check(synthetic.root()));
    assertTrue(otherStore.getMessage().contains("/gnu/store"), otherStore.getMessage());
  }

  @Test
  void anUnreadableCacheEndsTheCheckWithA502() {
    NixKey key = NixKey.generateInJava(dir, "synthetic-1");
    SyntheticCache synthetic = SyntheticCache.generate(100, 17, key);
    StorePath broken = synthetic.paths().get(60);
    BinaryCache cache =
        file -> {
          if (file.equals(broken.narinfoName())) {
            throw BinaryCache.unreachable("S3 refused to read " + file + ": AccessDenied (HTTP 403).");
          }
          return Optional.ofNullable(synthetic.files().get(file));
        };
    Failure failure = assertThrows(Failure.class,
        () -> new ClosureCheck(cache, TrustedKeys.parse(key.publicKey()), 4).check(synthetic.root()));
    assertEquals(502, failure.status());
    assertEquals("cache_unreachable", failure.code());
    assertTrue(failure.getMessage().contains("AccessDenied"), failure.getMessage());
  }

  private static List<StorePath> leaves(SyntheticCache synthetic, Map<String, String> files) {
    return synthetic.paths().stream()
        .filter(p -> NarInfo.parse(files.get(p.narinfoName())).references().isEmpty())
        .sorted((a, b) -> a.toString().compareTo(b.toString()))
        .toList();
  }
}
