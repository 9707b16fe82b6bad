package thebacknd.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import thebacknd.Json;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Route;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;

/**
 * The server side of a program's output, without the agent: BYTES of text posted to
 * {@code POST /output} in chunks of CHUNK bytes (1 MiB, the most one carries, by default), WINDOW on
 * their way at once (the agent keeps four), through
 * the Api the output function runs, against moto's S3 and DynamoDB. Prints the throughput and each
 * chunk's time in the function (p50, p95): what bounds an agent that sends as fast as it can.
 * Run by hand: {@code java -cp … thebacknd.bench.OutputBench [BYTES [WINDOW [CHUNK]]]}.
 */
public final class OutputBench {

  private static Map<String, String> perChunk(Map<String, Integer> requests, int chunks) {
    Map<String, String> per = new java.util.TreeMap<>();
    requests.forEach((operation, count) -> {
      if (!operation.startsWith("EC2")) {
        per.put(operation, String.format("%.2f", count / (double) chunks));
      }
    });
    return per;
  }

  public static void main(String[] args) throws Exception {
    long bytes = args.length > 0 ? Long.parseLong(args[0]) : 20_000_000L;
    int window = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int chunk = args.length > 2 ? Integer.parseInt(args[2]) : 1024 * 1024;
    Moto.reset();
    LeasesTable.ensure();
    Map<String, String> env = TestEnv.base();
    // Through a proxy that only counts: what each chunk costs in S3 and DynamoDB requests.
    FaultProxy counter = FaultProxy.forMoto(1);
    env.put("AWS_ENDPOINT_URL", counter.endpoint().toString());
    String bucket = "thebacknd-output-bench";
    Moto.clients().s3().createBucket(r -> r.bucket(bucket));
    env.put("THEBACKND_OUTPUT_BUCKET", bucket);
    env.put("THEBACKND_MAX_OUTPUT_KIB", Long.toString(bytes / 1024 + 1024));
    try (App app = App.fromEnvironment(env)) {
      ApiResponse created = app.api().handle(Route.CREATE, "{\"nix_binary\": \"/nix/store/3r733qcrl5pn9a5l07cn9awh676aiics-hello-2.12/bin/hello\"}");
      String vmId = created.body().path("vm").path("vm_id").asText();
      String code = new KillCodes(() -> List.of(TestEnv.SECRET)).codeFor(vmId);
      String text = "0123456789abcdef".repeat(chunk / 16 - 1) + "0123456789abcde\n";
      int chunks = (int) Math.max(1, bytes / text.getBytes(StandardCharsets.UTF_8).length);
      List<Double> millis = Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(window);
      long started = System.nanoTime();
      try {
        List<Future<Integer>> sent = new ArrayList<>();
        for (int seq = 0; seq < chunks; seq++) {
          String body = Json.write(Map.of("vm_id", vmId, "vm_killcode", code, "seq", seq, "text", text, "final", seq == chunks - 1));
          sent.add(pool.submit(() -> {
            long t = System.nanoTime();
            int status = app.api().handle(Route.OUTPUT, body).status();
            millis.add((System.nanoTime() - t) / 1e6);
            return status;
          }));
        }
        for (Future<Integer> f : sent) {
          if (f.get() != 200) {
            throw new IllegalStateException("a chunk answered " + f.get());
          }
        }
      } finally {
        pool.shutdownNow();
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      double megabytes = chunks * (double) text.length() / 1e6;
      System.out.printf("POST /output: %d chunks of %d KiB (%.1f MB), %d at once: %.2f s, %.2f MB/s%n",
          chunks, chunk / 1024, megabytes, window, seconds, megabytes / seconds);
      Bench.printPercentiles("time in the function per chunk", millis);
      System.out.printf("  requests per chunk: %s%n", perChunk(counter.requests(), chunks));
    } finally {
      counter.close();
    }
  }
}
