package thebacknd.cache;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.regions.Region;
import thebacknd.Failure;
import thebacknd.Log;
import thebacknd.Tasks;
import thebacknd.aws.AwsClients;
import thebacknd.cache.ClosureReport.PathProblem;

/**
 * Proves a store path and its whole closure are in the binary cache and signed by a trusted key
 * (DESIGN §6), before anything is launched.
 *
 * <p>It reads {@code nix-cache-info} (a VM's Nix refuses a cache without it) and the root's
 * narinfo, then the narinfo of every reference, transitively: each path once, {@link #PARALLELISM}
 * reads at a time. A narinfo must parse, be for the path asked, and carry a valid signature by a
 * trusted key; only then are its references followed (an unsigned narinfo's references are not
 * evidence of anything). Every missing, unsigned or malformed path is collected in the report,
 * not just the first; so is the agent's package when a trusted narinfo is for it (DESIGN §10: the
 * check reads every narinfo anyway). A cache that cannot be read at all (403, network) is not the
 * developer's closure's fault: that ends the check with a 502 {@code cache_unreachable} {@link
 * Failure}.
 *
 * <p>A closure found trusted is remembered ({@link VerifiedClosures}: at most 24 hours, with the
 * keys it was verified against), so checking the same root again reads only its narinfo, to see
 * it is still there and still the one verified; anything else reads the whole closure again.
 */
public final class ClosureCheck {

  /** Concurrent narinfo reads: enough to hide S3 latency, few enough to stay polite. */
  public static final int PARALLELISM = 32;
  /** A NixOS toplevel has a few thousand paths; far more means something is wrong. */
  public static final int MAX_PATHS = 100_000;
  static final String CACHE_INFO = "nix-cache-info";

  private final BinaryCache cache;
  private final TrustedKeys trustedKeys;
  private final int parallelism;
  private final VerifiedClosures verified;

  /** A check that remembers the closures it verified for as long as it lives. */
  public ClosureCheck(BinaryCache cache, TrustedKeys trustedKeys, int parallelism) {
    this(cache, trustedKeys, parallelism, VerifiedClosures.remembering(Clock.systemUTC()));
  }

  /** @param verified where trusted closures are remembered; {@link VerifiedClosures#none()} for none */
  public ClosureCheck(BinaryCache cache, TrustedKeys trustedKeys, int parallelism, VerifiedClosures verified) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1");
    }
    this.cache = cache;
    this.trustedKeys = trustedKeys;
    this.parallelism = parallelism;
    this.verified = verified;
  }

  /** The check of the cache at {@code location} against {@code trustedKeys}, remembering what it verified. */
  public static ClosureCheck forCache(CacheLocation location, TrustedKeys trustedKeys, AwsClients aws) {
    return new ClosureCheck(open(location, aws), trustedKeys, PARALLELISM);
  }

  /** The same, {@code verified} remembering (or not) what it verified. */
  public static ClosureCheck forCache(CacheLocation location, TrustedKeys trustedKeys, AwsClients aws, VerifiedClosures verified) {
    return new ClosureCheck(open(location, aws), trustedKeys, PARALLELISM, verified);
  }

  static BinaryCache open(CacheLocation location, AwsClients aws) {
    if (location instanceof CacheLocation.S3 s3) {
      return new S3BinaryCache(aws.s3(s3.region().map(Region::of), s3.endpoint()), s3);
    }
    return new HttpBinaryCache(HttpBinaryCache.defaultClient(), (CacheLocation.Http) location);
  }

  public TrustedKeys trustedKeys() {
    return trustedKeys;
  }

  /**
   * The closure of {@code root}: what is remembered of it when its narinfo is still there, still
   * signed by a trusted key and still the one verified (one read); else every narinfo read again.
   */
  public ClosureReport check(StorePath root) {
    Optional<VerifiedClosures.Verified> known = verified.recall(root, trustedKeys);
    if (known.isPresent()) {
      if (stillTheOneVerified(root, known.get())) {
        Log.info("closure of " + root + " trusted: verified at " + known.get().at() + " against the same keys;"
            + " its narinfo is unchanged (1 read instead of " + known.get().report().pathsChecked() + ")");
        return known.get().report();
      }
      verified.forget(root);
    }
    return checkEveryPath(root);
  }

  /** The root's narinfo as verified: there, signed by a trusted key, with the same fingerprint. */
  private boolean stillTheOneVerified(StorePath root, VerifiedClosures.Verified known) {
    Optional<String> text = cache.read(root.narinfoName());
    if (text.isEmpty()) {
      return false;
    }
    NarInfo info;
    try {
      info = NarInfo.parse(text.get());
    } catch (IllegalArgumentException malformed) {
      return false;
    }
    return info.storePath().equals(root)
        && info.fingerprint().equals(known.rootFingerprint())
        && trustedKeys.verify(info) instanceof TrustedKeys.Signed;
  }

  private ClosureReport checkEveryPath(StorePath root) {
    ExecutorService pool = Executors.newFixedThreadPool(parallelism, daemonThreads());
    try {
      Future<?> cacheInfo = pool.submit(this::requireNixCacheInfo);
      CompletionService<Outcome> inspected = new ExecutorCompletionService<>(pool);
      Set<StorePath> seen = new HashSet<>();
      List<PathProblem> problems = new ArrayList<>();
      Set<StorePath> agents = new TreeSet<>(Comparator.comparing(StorePath::toString));
      NarInfo rootInfo = null;
      seen.add(root);
      inspected.submit(() -> inspect(root));
      int pending = 1;
      awaitDone(cacheInfo);
      while (pending > 0) {
        Outcome outcome = awaitDone(inspected.take());
        pending--;
        if (outcome instanceof Problem problem) {
          problems.add(problem.problem());
          continue;
        }
        NarInfo info = ((Trusted) outcome).info();
        if (info.storePath().equals(root)) {
          rootInfo = info;
        }
        if (ClosureReport.isAgent(info.storePath())) {
          agents.add(info.storePath());
        }
        for (StorePath reference : info.references()) {
          if (seen.add(reference)) {
            if (seen.size() > MAX_PATHS) {
              throw new Failure(
                  Failure.Kind.CACHE_CHECK_FAILED,
                  "cache_check_failed",
                  "The closure of " + root + " has more than " + MAX_PATHS + " paths; refusing to check it.");
            }
            inspected.submit(() -> inspect(reference));
            pending++;
          }
        }
      }
      problems.sort(rootFirstThenByPath(root));
      ClosureReport report = new ClosureReport(root, seen.size(), problems, agents.stream().findFirst());
      if (rootInfo != null) {
        verified.remember(report, trustedKeys, rootInfo);
      }
      return report;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw BinaryCache.unreachable("Interrupted while checking the closure of " + root + ".");
    } finally {
      pool.shutdownNow();
    }
  }

  /** The outcome of reading one narinfo: trusted (its references are followed) or a problem. */
  private sealed interface Outcome {}

  private record Trusted(NarInfo info) implements Outcome {}

  private record Problem(PathProblem problem) implements Outcome {}

  private Outcome inspect(StorePath path) {
    NarInfo info;
    try {
      Optional<String> text = cache.read(path.narinfoName());
      if (text.isEmpty()) {
        return problem(path, "missing");
      }
      info = NarInfo.parse(text.get());
    } catch (IllegalArgumentException e) {
      return problem(path, "malformed: " + e.getMessage());
    }
    if (!info.storePath().equals(path)) {
      return problem(path, "malformed: its narinfo is for " + info.storePath());
    }
    if (trustedKeys.verify(info) instanceof TrustedKeys.Unsigned unsigned) {
      return problem(path, "unsigned: " + unsigned.reason());
    }
    return new Trusted(info);
  }

  private static Outcome problem(StorePath path, String reason) {
    return new Problem(new PathProblem(path, reason));
  }

  private Void requireNixCacheInfo() {
    Optional<String> text = cache.read(CACHE_INFO);
    if (text.isEmpty()) {
      throw new Failure(
          Failure.Kind.CACHE_CHECK_FAILED,
          "cache_check_failed",
          "NIX_CACHE has no " + CACHE_INFO + ": it is not a Nix binary cache (or the prefix is wrong), and a VM's Nix would refuse it.");
    }
    Optional<String> storeDir =
        text.get().lines().filter(l -> l.startsWith("StoreDir:")).map(l -> l.substring("StoreDir:".length()).trim()).findFirst();
    String expected = StorePath.STORE_DIR.substring(0, StorePath.STORE_DIR.length() - 1);
    if (storeDir.isPresent() && !storeDir.get().equals(expected)) {
      throw new Failure(
          Failure.Kind.CACHE_CHECK_FAILED,
          "cache_check_failed",
          "NIX_CACHE is a binary cache for the store " + storeDir.get() + ", not " + expected + ".");
    }
    return null;
  }

  private static <T> T awaitDone(Future<T> future) throws InterruptedException {
    return Tasks.await(future, "closure check task");
  }

  private static Comparator<PathProblem> rootFirstThenByPath(StorePath root) {
    return Comparator.comparing((PathProblem p) -> !p.path().equals(root))
        .thenComparing(p -> p.path().toString());
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, "closure-check-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
