package thebacknd.cache;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import thebacknd.aws.AwsClients;
import thebacknd.testing.CacheBucket;
import thebacknd.testing.Command;
import thebacknd.testing.Moto;
import thebacknd.testing.Nix;
import thebacknd.testing.NixKey;
import thebacknd.testing.SyntheticCache;

/**
 * The closure-check benchmark {@code dev/bench-cache} runs (not a test: it prints numbers). A
 * synthetic signed cache of {@code --paths} narinfos with a random reference graph goes into moto
 * S3; then, {@code --runs} times each, interleaved, it times real Nix ({@code nix store verify
 * --store http://… -r --no-contents}, a fresh narinfo disk cache each run) against our closure
 * check: in-process over s3:// and http:// (a warm Lambda), and as the {@code thebacknd cache
 * verify} CLI (a new JVM each run). Moto answers one request at a time whoever asks, so the same
 * cache is also served by {@link LoopbackCache}, as is and with an S3-like latency per request,
 * where the clients' own cost and concurrency show.
 */
public final class CacheBench {

  static final List<Duration> LOOPBACK_LATENCIES = List.of(Duration.ZERO, Duration.ofMillis(10));

  record Options(int paths, int runs, Path work) {
    static Options parse(String[] args) {
      int paths = 2000;
      int runs = 5;
      Path work = null;
      for (int i = 0; i < args.length; i += 2) {
        String value = i + 1 < args.length ? args[i + 1] : "";
        switch (args[i]) {
          case "--paths" -> paths = Integer.parseInt(value);
          case "--runs" -> runs = Integer.parseInt(value);
          case "--work" -> work = Path.of(value);
          default -> throw new IllegalArgumentException("usage: CacheBench [--paths N] [--runs N] --work DIR");
        }
      }
      if (work == null || paths < 1 || runs < 1) {
        throw new IllegalArgumentException("usage: CacheBench [--paths N] [--runs N] --work DIR");
      }
      return new Options(paths, runs, work);
    }
  }

  /** Wall times of one contender, in milliseconds. */
  record Series(String name, List<Double> millis) {
    Series(String name) {
      this(name, new ArrayList<>());
    }

    double median() {
      List<Double> sorted = millis.stream().sorted().toList();
      int n = sorted.size();
      return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    double last() {
      return millis.get(millis.size() - 1);
    }

    String row() {
      return String.format(Locale.ROOT, "  %-50s median %7.0f ms  (min %6.0f, max %6.0f, n=%d)",
          name, median(), millis.stream().min(Double::compare).orElseThrow(),
          millis.stream().max(Double::compare).orElseThrow(), millis.size());
    }
  }

  public static void main(String[] args) throws IOException {
    Options options = Options.parse(args);
    Files.createDirectories(options.work());
    NixKey key = NixKey.generateInJava(options.work(), "bench-1");
    SyntheticCache cache = SyntheticCache.generate(options.paths(), 2024, key);
    String root = cache.root().toString();
    say("synthetic cache: %d narinfos, root %s; Nix %s", options.paths(), root, nixVersion(options));

    long uploadStart = System.nanoTime();
    CacheBucket bucket = CacheBucket.create("bench").upload(cache.files());
    say("uploaded to moto at %s in %.1f s", Moto.endpoint(), (System.nanoTime() - uploadStart) / 1e9);

    AwsClients aws = Moto.clients();
    // No memo: each run is the whole check, as for a path no create has verified yet.
    ClosureCheck overS3 =
        ClosureCheck.forCache(CacheLocation.parse(bucket.s3Url()), TrustedKeys.parse(key.publicKey()), aws, VerifiedClosures.none());
    ClosureCheck overHttp =
        ClosureCheck.forCache(CacheLocation.parse(bucket.httpUrl()), TrustedKeys.parse(key.publicKey()), aws, VerifiedClosures.none());
    double firstCheck = time(() -> requireTrusted(overS3.check(cache.root()), options.paths()));
    requireNixAccepts(options, bucket.httpUrl(), key, root);

    say("moto S3, %d runs each, interleaved", options.runs());
    Series nix = new Series("nix store verify --store http://moto");
    Series oursS3 = new Series("ours, in-process, s3://");
    Series oursHttp = new Series("ours, in-process, http://");
    Series cli = new Series("ours, thebacknd cache verify (new JVM), s3://");
    Series bareGets = new Series("moto's pace: bare GETs of every narinfo, no check");
    for (int run = 1; run <= options.runs(); run++) {
      bareGets.millis().add(time(() -> fetchEveryNarinfo(bucket.httpUrl(), cache)));
      nix.millis().add(time(() -> nixVerify(options, bucket.httpUrl(), key, root)));
      oursS3.millis().add(time(() -> requireTrusted(overS3.check(cache.root()), options.paths())));
      oursHttp.millis().add(time(() -> requireTrusted(overHttp.check(cache.root()), options.paths())));
      cli.millis().add(time(() -> cliVerify(options, bucket.s3Url(), key, root)));
      say("  run %d/%d: bare GETs %.0f ms, nix %.0f ms, ours s3 %.0f ms, ours http %.0f ms, cli %.0f ms",
          run, options.runs(), bareGets.last(), nix.last(), oursS3.last(), oursHttp.last(), cli.last());
    }

    List<List<Series>> loopback = new ArrayList<>();
    for (Duration latency : LOOPBACK_LATENCIES) {
      loopback.add(againstLoopback(options, cache, key, latency));
    }

    System.out.println();
    System.out.printf(Locale.ROOT, "Closure check of %d narinfos, %d runs each (wall time)%n", options.paths(), options.runs());
    System.out.println("moto S3:");
    for (Series series : List.of(bareGets, nix, oursS3, oursHttp, cli)) {
      System.out.println(series.row());
    }
    System.out.printf(Locale.ROOT, "  %-50s        %7.0f ms%n", "ours, in-process, s3://, first check in the JVM", firstCheck);
    System.out.printf(Locale.ROOT, "  ratio ours in-process s3:// / nix   = %.2f   (target <= 0.50)%n", oursS3.median() / nix.median());
    System.out.printf(Locale.ROOT, "  ratio ours in-process http:// / nix = %.2f%n", oursHttp.median() / nix.median());
    System.out.printf(Locale.ROOT, "  ratio ours CLI (new JVM) / nix      = %.2f%n", cli.median() / nix.median());
    System.out.printf(Locale.ROOT, "  ratio bare GETs / nix               = %.2f   (moto's own pace bounds every client)%n",
        bareGets.median() / nix.median());
    for (int i = 0; i < LOOPBACK_LATENCIES.size(); i++) {
      Series nixHere = loopback.get(i).get(0);
      Series oursHere = loopback.get(i).get(1);
      System.out.println("in-memory loopback HTTP server, " + LOOPBACK_LATENCIES.get(i).toMillis() + " ms added per request:");
      System.out.println(nixHere.row());
      System.out.println(oursHere.row());
      System.out.printf(Locale.ROOT, "  ratio ours / nix = %.2f%n", oursHere.median() / nixHere.median());
    }
  }

  /**
   * The same cache from memory on loopback, each answer delayed by {@code latency}: 0 shows the
   * clients' own cost, 10 ms is roughly S3's first-byte latency for a small object in-region.
   */
  private static List<Series> againstLoopback(Options options, SyntheticCache cache, NixKey key, Duration latency)
      throws IOException {
    Series nix = new Series("nix store verify");
    Series ours = new Series("ours, in-process, http://");
    String root = cache.root().toString();
    LoopbackCache server = LoopbackCache.start(cache.files(), latency);
    try {
      ClosureCheck check = ClosureCheck.forCache(
          CacheLocation.parse(server.url()), TrustedKeys.parse(key.publicKey()), Moto.clients(), VerifiedClosures.none());
      requireTrusted(check.check(cache.root()), options.paths());
      requireNixAccepts(options, server.url(), key, root);
      say("loopback server, %d ms added per request, %d runs each", latency.toMillis(), options.runs());
      for (int run = 1; run <= options.runs(); run++) {
        nix.millis().add(time(() -> nixVerify(options, server.url(), key, root)));
        ours.millis().add(time(() -> requireTrusted(check.check(cache.root()), options.paths())));
        say("  run %d/%d: nix %.0f ms, ours %.0f ms", run, options.runs(), nix.last(), ours.last());
      }
    } finally {
      server.stop();
    }
    return List.of(nix, ours);
  }

  /**
   * What moto alone costs: every narinfo fetched once over {@link ClosureCheck#PARALLELISM}
   * keep-alive connections, bodies read and dropped, nothing parsed or verified. A check that
   * reads each narinfo (DESIGN §6) cannot go much below this against moto, whoever sends it.
   */
  private static void fetchEveryNarinfo(String url, SyntheticCache cache) {
    HttpClient http = HttpBinaryCache.defaultClient();
    ExecutorService pool = Executors.newFixedThreadPool(ClosureCheck.PARALLELISM);
    try {
      List<Future<Integer>> statuses = new ArrayList<>();
      for (StorePath path : cache.paths()) {
        URI uri = URI.create(url + "/" + path.narinfoName());
        statuses.add(pool.submit(() -> http.send(HttpRequest.newBuilder(uri).GET().build(),
            HttpResponse.BodyHandlers.discarding()).statusCode()));
      }
      for (Future<Integer> status : statuses) {
        if (status.get() != 200) {
          throw new IllegalStateException("a bare GET answered HTTP " + status.get());
        }
      }
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException("bare GETs failed: " + e, e);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void requireTrusted(ClosureReport report, int paths) {
    if (!report.trusted() || report.pathsChecked() != paths) {
      throw new IllegalStateException("expected a trusted closure of " + paths + " paths: " + report.summary());
    }
  }

  /** Real Nix accepts the synthetic cache, or the comparison means nothing. */
  private static void requireNixAccepts(Options options, String url, NixKey key, String root) {
    Command.Result result = Nix.verify(options.work(), url, key.publicKey(), root);
    long checked = result.stderr().lines().filter(l -> l.startsWith("checking '")).count();
    if (result.exitCode() != 0 || checked != options.paths()) {
      throw new IllegalStateException("Nix does not accept the synthetic cache at " + url + " (exit "
          + result.exitCode() + ", " + checked + " paths checked): " + result.stderr().lines().limit(20).toList());
    }
  }

  private static void nixVerify(Options options, String url, NixKey key, String root) {
    Command.Result result = Nix.verify(options.work(), url, key.publicKey(), root);
    if (result.exitCode() != 0) {
      throw new IllegalStateException("nix store verify failed: " + result.stderr());
    }
  }

  /** {@code thebacknd cache verify} as the launcher runs it: a fresh JVM with the same flags. */
  private static void cliVerify(Options options, String url, NixKey key, String root) {
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), "thebacknd.cli.Main",
        "cache", "verify", "--cache", url, "--trusted-key", key.publicKey(), root);
    Map<String, String> env = Nix.env(options.work().resolve(".nix-cache"));
    env.put("AWS_ENDPOINT_URL", Moto.endpoint().toString());
    Command.Result result = Command.run(command, env, options.work(), Duration.ofMinutes(5));
    if (result.exitCode() != 0) {
      throw new IllegalStateException("thebacknd cache verify failed: " + result.stdout() + result.stderr());
    }
  }

  private static String nixVersion(Options options) {
    return Nix.run(options.work(), "nix", "--version").lastLine().replaceAll("^nix \\(Nix\\) ", "");
  }

  private static double time(Runnable action) {
    long start = System.nanoTime();
    action.run();
    return (System.nanoTime() - start) / 1e6;
  }

  private static void say(String format, Object... args) {
    System.err.printf(Locale.ROOT, "bench: " + format + "%n", args);
  }
}
