package thebacknd.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import thebacknd.Json;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.App;
import thebacknd.edge.Route;
import thebacknd.testing.Moto;
import thebacknd.testing.NixKey;
import thebacknd.testing.SyntheticCache;
import thebacknd.testing.TestEnv;

/**
 * What a repeated {@code create} of the same closure costs: a synthetic signed cache of N
 * narinfos served from memory on loopback, each read answered after 10 ms (roughly a small S3
 * GET in-region), counted; the closure check on; three creates of a program in that closure one
 * after the other in one warm process (a warm Lambda container), each destroyed before the next.
 * Prints, for each, the narinfo reads and the time: the first pays the whole closure; a closure
 * remembered as verified lets the later ones read at most the top narinfo. Run by dev/bench.
 */
public final class RepeatCreateBench {

  private static final int LATENCY_MILLIS = 10;

  public static void main(String[] args) throws Exception {
    int paths = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    Path work = Files.createTempDirectory("thebacknd-repeat-bench");
    NixKey key = NixKey.generateInJava(work, "bench-1");
    SyntheticCache cache = SyntheticCache.generate(paths, 2024, key);
    AtomicInteger reads = new AtomicInteger();
    HttpServer server = serve(cache.files(), reads);
    try {
      Moto.reset();
      Map<String, String> env = TestEnv.base();
      env.put("NIX_CACHE", "http://127.0.0.1:" + server.getAddress().getPort() + "/cache");
      env.put("NIX_TRUSTED_KEY", key.publicKey());
      env.put("THEBACKND_VERIFY_CACHE", "true");
      Api api = App.fromEnvironment(env).api();
      String body = Json.write(Map.of("nix_binary", cache.root() + "/bin/synthetic"));
      for (String which : new String[] {"first", "second", "third"}) {
        reads.set(0);
        long start = System.nanoTime();
        ApiResponse created = api.handle(Route.CREATE, body);
        double millis = (System.nanoTime() - start) / 1e6;
        if (created.status() != 201) {
          throw new IllegalStateException("create answered " + created.status() + ": " + created.bodyText());
        }
        System.out.printf("  %-6s create of a %d-narinfo closure: %5d narinfo reads, %8.1f ms%n", which, paths, reads.get(), millis);
        api.handle(Route.DESTROY_ALL, "{}");
      }
      Moto.reset();
    } finally {
      server.stop(0);
    }
  }

  /** The cache on 127.0.0.1, every narinfo read counted and answered after {@link #LATENCY_MILLIS}. */
  private static HttpServer serve(Map<String, String> files, AtomicInteger reads) throws Exception {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
    ExecutorService threads = Executors.newFixedThreadPool(64, runnable -> {
      Thread thread = new Thread(runnable, "repeat-bench-cache");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(threads);
    server.createContext("/cache/", exchange -> {
      try (exchange) {
        String name = exchange.getRequestURI().getPath().substring("/cache/".length());
        if (name.endsWith(".narinfo")) {
          reads.incrementAndGet();
        }
        Thread.sleep(LATENCY_MILLIS);
        String text = files.get(name);
        if (text == null) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(200, head ? -1 : bytes.length);
        if (!head) {
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    server.start();
    return server;
  }

  private RepeatCreateBench() {}
}
