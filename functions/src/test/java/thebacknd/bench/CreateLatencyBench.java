package thebacknd.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Route;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;

/**
 * Latency of one {@code create} in a warm process (a warm Lambda container), against moto: N
 * creates one after the other, each answered 201, then p50 and p95. Run by dev/bench.
 */
public final class CreateLatencyBench {

  public static void main(String[] args) {
    int creates = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Moto.reset();
    Map<String, String> env = TestEnv.base();
    env.put("THEBACKND_MAX_VMS", String.valueOf(creates + 1));
    Api api = App.fromEnvironment(env).api();
    created(api); // warm-up: class loading, clients, first connections
    List<Double> millis = new ArrayList<>();
    for (int i = 0; i < creates; i++) {
      long start = System.nanoTime();
      created(api);
      millis.add((System.nanoTime() - start) / 1e6);
    }
    Bench.printPercentiles("create latency, warm, sequential (" + creates + " creates)", millis);
    api.handle(Route.DESTROY_ALL, "{}");
    Moto.reset();
  }

  private static void created(Api api) {
    ApiResponse response = api.handle(Route.CREATE, "{}");
    if (response.status() != 201) {
      throw new IllegalStateException("create answered " + response.status() + ": " + response.bodyText());
    }
  }

  private CreateLatencyBench() {}
}
