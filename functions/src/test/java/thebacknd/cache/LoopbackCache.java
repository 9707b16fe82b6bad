package thebacknd.cache;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A binary cache served from memory on 127.0.0.1 for {@link CacheBench}: many threads, TCP_NODELAY,
 * and an optional fixed delay before each answer to stand in for network latency.
 */
final class LoopbackCache {

  private static final int THREADS = 64;

  private final HttpServer server;
  private final ExecutorService threads;

  private LoopbackCache(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  static LoopbackCache start(Map<String, String> files, Duration latency) throws IOException {
    // Without it the JDK server's separate header and body writes meet delayed ACKs: ~40 ms each.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
    ExecutorService threads = Executors.newFixedThreadPool(THREADS, runnable -> {
      Thread thread = new Thread(runnable, "loopback-cache");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(threads);
    server.createContext("/cache/", exchange -> {
      try (exchange) {
        Thread.sleep(latency.toMillis());
        String text = files.get(exchange.getRequestURI().getPath().substring("/cache/".length()));
        if (text == null) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(200, head ? -1 : body.length);
        if (!head) {
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    server.start();
    return new LoopbackCache(server, threads);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/cache";
  }

  void stop() {
    server.stop(0);
    threads.shutdownNow();
  }
}
