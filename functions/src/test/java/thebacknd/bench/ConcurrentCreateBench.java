package thebacknd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import thebacknd.Json;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Route;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;

/**
 * N creates at once against a cap of N (the thesis's "100 people at the same time"), in one warm
 * process against moto: how many answered 201, whether every name is unique, p50/p95 of each
 * create's latency. Then the same with a warm pool of N/10 VMs, each of which reported
 * {@code pooled} first: how many creates came from the pool. Run by dev/bench.
 */
public final class ConcurrentCreateBench {

  record Outcome(int status, double millis, String name, boolean fromPool, String error) {}

  public static void main(String[] args) throws Exception {
    int creates = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    run(creates, 0);
    Optional<Route> pool = Route.forPath("/pool");
    if (pool.isEmpty()) {
      System.out.println("  with a warm pool: not measured, this build has no POST /pool");
      return;
    }
    run(creates, Math.max(1, creates / 10));
  }

  private static void run(int creates, int pooled) throws Exception {
    Moto.reset();
    Map<String, String> env = TestEnv.base();
    env.put("THEBACKND_MAX_VMS", String.valueOf(creates));
    if (pooled > 0) {
      env.put("THEBACKND_POOL", "t3.micro=" + pooled);
    }
    Api api = App.fromEnvironment(env).api();
    // Warm-up, as a warm Lambda container is: classes loaded, clients built, connections open.
    if (api.handle(Route.CREATE, "{}").status() != 201) {
      throw new IllegalStateException("the warm-up create failed");
    }
    api.handle(Route.DESTROY_ALL, "{}");
    if (pooled > 0) {
      int ready = fillPool(api, pooled);
      System.out.printf("  warm pool: %d configured, %d launched and reported pooled%n", pooled, ready);
    }
    List<Outcome> outcomes = createAtOnce(api, creates);
    long created = outcomes.stream().filter(o -> o.status() == 201).count();
    Set<String> names = new HashSet<>();
    long duplicates = outcomes.stream().filter(o -> o.status() == 201 && !names.add(o.name())).count();
    long fromPool = outcomes.stream().filter(Outcome::fromPool).count();
    String label = pooled > 0 ? "with a pool of " + pooled : "no pool";
    System.out.printf("  %d creates at once, cap %d, %s: %d answered 201, %d duplicate names%s%n",
        creates, creates, label, created, duplicates, pooled > 0 ? ", " + fromPool + " from the pool" : "");
    outcomes.stream().filter(o -> o.status() != 201).map(o -> o.status() + " " + o.error()).distinct().limit(3)
        .forEach(e -> System.out.println("    not created: " + e));
    Bench.printPercentiles("create latency, " + creates + " at once, " + label,
        outcomes.stream().map(Outcome::millis).toList());
    // What is left running: every VM listed should be one a 201 told of (or an unclaimed pooled one).
    ApiResponse listed = api.handle(Route.LIST, "{}");
    System.out.printf("    listed afterwards: %s VMs (201s: %d, pooled configured: %d)%n",
        listed.status() == 200 ? String.valueOf(listed.body().path("vms").size()) : "? (list answered " + listed.status() + ")",
        created, pooled);
    api.handle(Route.DESTROY_ALL, "{}");
    Moto.reset();
  }

  /** POST /pool, then each launched VM reports {@code pooled} with its kill code, as its agent would. */
  private static int fillPool(Api api, int pooled) {
    ApiResponse filled = api.handle(Route.forPath("/pool").orElseThrow(), "{}");
    if (filled.status() != 200) {
      throw new IllegalStateException("POST /pool answered " + filled.status() + ": " + filled.bodyText());
    }
    KillCodes codes = new KillCodes(() -> List.of(TestEnv.SECRET));
    int ready = 0;
    for (JsonNode vm : filled.body().path("launched")) {
      String vmId = vm.path("vm_id").asText();
      String report = Json.write(Map.of("vm_id", vmId, "vm_killcode", codes.codeFor(vmId), "phase", "pooled"));
      ApiResponse answer = api.handle(Route.REPORT, report);
      if (answer.status() != 200) {
        throw new IllegalStateException("a pooled VM's report answered " + answer.status() + ": " + answer.bodyText());
      }
      ready++;
    }
    if (ready != pooled) {
      throw new IllegalStateException("POST /pool launched " + ready + " VMs, not " + pooled + ": " + filled.bodyText());
    }
    return ready;
  }

  private static List<Outcome> createAtOnce(Api api, int creates) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(creates);
    try {
      List<Callable<Outcome>> tasks = new ArrayList<>();
      for (int i = 0; i < creates; i++) {
        tasks.add(() -> {
          long start = System.nanoTime();
          ApiResponse response = api.handle(Route.CREATE, "{}");
          double millis = (System.nanoTime() - start) / 1e6;
          JsonNode vm = response.body().path("vm");
          return new Outcome(response.status(), millis, vm.path("name").asText(null),
              vm.path("from_pool").asBoolean(false), response.body().path("error").path("code").asText(""));
        });
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (Future<Outcome> outcome : threads.invokeAll(tasks)) {
        outcomes.add(outcome.get());
      }
      return outcomes;
    } finally {
      threads.shutdownNow();
    }
  }

  private ConcurrentCreateBench() {}
}
