package thebacknd.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Route;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.FleetCheck;
import thebacknd.testing.Moto;
import thebacknd.testing.Parallel;
import thebacknd.testing.TestEnv;

/**
 * Creates while a share (0, 30, 50 %) of every EC2, S3 and DynamoDB call fails with AWS's own
 * throttling and 5xx errors (the fault proxy in front of moto): how many creates succeed, how
 * long they take, and what is left behind — live VMs no 201 told anyone about, VMs without a lease
 * or our tag — and how many destroy-all calls it takes until nothing is live. Run by dev/bench.
 */
public final class FaultBench {

  private static final int PARALLEL = 4;
  private static final int MAX_DESTROY_CALLS = 10;

  public static void main(String[] args) throws Exception {
    int creates = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    for (double share : List.of(0.0, 0.3, 0.5)) {
      run(share, creates);
    }
  }

  private static void run(double share, int creates) throws Exception {
    Moto.reset();
    Map<String, String> env = TestEnv.base();
    env.put("THEBACKND_MAX_VMS", String.valueOf(creates + 5));
    try (FaultProxy proxy = FaultProxy.forMoto((long) (share * 1000) + 1).failEverywhere(share)) {
      env.put("AWS_ENDPOINT_URL", proxy.endpoint().toString());
      List<Double> millis = new ArrayList<>();
      List<ApiResponse> responses = createConcurrently(env, creates, millis);
      List<ApiResponse> created = responses.stream().filter(r -> r.status() == 201).toList();
      Set<String> told = created.stream().map(r -> r.body().path("vm").path("instance_id").asText()).collect(Collectors.toSet());
      long untold = FleetCheck.live().keySet().stream().filter(id -> !told.contains(id)).count();
      List<String> orphans = FleetCheck.orphans();
      Map<Integer, Long> statuses = responses.stream().collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
      int destroyCalls = destroyAll(App.fromEnvironment(env).api());
      System.out.printf(
          "  %3.0f %% faults: %3d of %3d creates succeeded (%s), p50 %6.0f ms, p95 %6.0f ms; live VMs no 201 told of: %d;"
              + " orphans: %d; destroy-all calls until none live: %s; faults injected: %d%n",
          share * 100, created.size(), creates, statuses, Bench.percentile(millis, 50), Bench.percentile(millis, 95),
          untold, orphans.size(), destroyCalls <= MAX_DESTROY_CALLS ? destroyCalls : "more than " + MAX_DESTROY_CALLS,
          proxy.faultCount());
      orphans.forEach(o -> System.out.println("      " + o));
    }
    Moto.reset();
  }

  /** Calls destroy-all until nothing of ours is live (read from moto); how many calls that took. */
  private static int destroyAll(Api api) {
    for (int call = 1; call <= MAX_DESTROY_CALLS; call++) {
      api.handle(Route.DESTROY_ALL, "{}");
      if (FleetCheck.live().isEmpty()) {
        return call;
      }
    }
    return MAX_DESTROY_CALLS + 1;
  }

  private static List<ApiResponse> createConcurrently(Map<String, String> env, int count, List<Double> millis) throws Exception {
    return Parallel.run(count, PARALLEL, i -> {
      Api container = App.fromEnvironment(env).api();
      return () -> {
        long start = System.nanoTime();
        ApiResponse response = container.handle(Route.CREATE, "{}");
        synchronized (millis) {
          millis.add((System.nanoTime() - start) / 1e6);
        }
        return response;
      };
    });
  }

  private FaultBench() {}
}
