package thebacknd.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * The repeated-create benchmark {@code dev/bench-closure-memo} runs (not a test: it prints
 * numbers). A synthetic signed cache of {@code --paths} narinfos goes into moto S3, read over
 * http:// through a loopback proxy that counts the narinfo GETs. Each run starts a warm process
 * (a new {@link App} in this JVM, warmed by a create of a one-path closure), then creates a program
 * of the big closure twice: the first create reads the whole closure, as every create did before
 * closures were remembered ("before"); the second reads only its top narinfo ("after"). Wall time
 * of each {@code POST /create} (the launch in moto included), medians of {@code --runs}.
 */
public final class ClosureMemoBench {

  record Sample(int status, int narinfoReads, double millis) {}

  public static void main(String[] args) throws IOException {
    int paths = 2000;
    int runs = 5;
    Path work = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--paths" -> paths = Integer.parseInt(args[i + 1]);
        case "--runs" -> runs = Integer.parseInt(args[i + 1]);
        case "--work" -> work = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("usage: ClosureMemoBench [--paths N] [--runs N] --work DIR");
      }
    }
    if (work == null || paths < 2 || runs < 1) {
      throw new IllegalArgumentException("usage: ClosureMemoBench [--paths N] [--runs N] --work DIR");
    }
    Files.createDirectories(work);
    NixKey key = NixKey.generateInJava(work, "bench-memo-1");
    SyntheticCache cache = SyntheticCache.generate(paths, 2026, key);
    CacheBucket bucket = CacheBucket.create("bench-memo").upload(cache.files());
    List<FaultProxy.Request> reads = new CopyOnWriteArrayList<>();
    List<Sample> before = new ArrayList<>();
    List<Sample> after = new ArrayList<>();
    try (FaultProxy proxy = FaultProxy.forMoto(1).rule(FaultProxy.record("GetObject", reads))) {
      Map<String, String> env = TestEnv.base();
      env.put("NIX_CACHE", proxy.endpoint() + "/" + bucket.name());
      env.put("NIX_TRUSTED_KEY", key.publicKey());
      env.put("THEBACKND_VERIFY_CACHE", "true");
      env.put("THEBACKND_MAX_VMS", String.valueOf(3 * runs + 1));
      StorePath leaf = cache.paths().get(paths - 1);
      for (int run = 1; run <= runs; run++) {
        Api api = App.fromEnvironment(env).api();
        create(api, leaf, reads);
        before.add(create(api, cache.root(), reads));
        after.add(create(api, cache.root(), reads));
        say("run %d/%d: first create %s, second create %s", run, runs, before.get(run - 1), after.get(run - 1));
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "Repeated create of a program whose closure has %d narinfos (moto, http:// cache), %d runs%n", paths, runs);
    row("before: every create reads the closure", before);
    row("after: the second create, closure remembered", after);
  }

  private static Sample create(Api api, StorePath path, List<FaultProxy.Request> reads) {
    reads.clear();
    long start = System.nanoTime();
    ApiResponse response = api.handle(Route.CREATE, Json.write(Map.of("nix_binary", path + "/bin/run")));
    double millis = (System.nanoTime() - start) / 1e6;
    int narinfos = (int) reads.stream().filter(r -> r.path().endsWith(".narinfo")).count();
    if (response.status() != 201) {
      say("create of %s answered %d: %s", path, response.status(), response.bodyText());
    }
    return new Sample(response.status(), narinfos, millis);
  }

  private static void row(String name, List<Sample> samples) {
    List<Double> millis = samples.stream().map(Sample::millis).sorted().toList();
    List<Integer> narinfos = samples.stream().map(Sample::narinfoReads).sorted().toList();
    long created = samples.stream().filter(s -> s.status() == 201).count();
    System.out.printf(Locale.ROOT, "  %-48s narinfo reads %5d   median %7.0f ms  (min %6.0f, max %6.0f)  %d/%d answered 201%n",
        name, narinfos.get(narinfos.size() / 2), median(millis), millis.get(0), millis.get(millis.size() - 1), created, samples.size());
  }

  private static double median(List<Double> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static void say(String format, Object... args) {
    System.err.printf(Locale.ROOT, "bench: " + format + "%n", args);
  }
}
