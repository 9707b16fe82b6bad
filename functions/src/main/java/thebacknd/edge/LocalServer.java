package thebacknd.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code thebacknd serve}: the same routes through the same {@link Api}, on the JDK's HTTP server.
 * Binds to loopback unless told otherwise; there is no authentication here, so every request
 * comes from the user who runs the server (the {@code owner} of what it creates).
 */
public final class LocalServer implements AutoCloseable {

  private static final int WORKERS = 32;
  /** How often {@code serve} tops up a configured warm pool (the first time at start). */
  static final java.time.Duration POOL_EVERY = java.time.Duration.ofMinutes(1);

  private final HttpServer server;
  private final ExecutorService workers;
  private final Api api;
  private final String user;
  private final java.util.concurrent.ScheduledExecutorService poolTopUps =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "thebacknd-serve-pool");
        thread.setDaemon(true);
        return thread;
      });

  /** Requests from an unknown caller: they create VMs without an owner. */
  public LocalServer(Api api, String bindAddress, int port) throws IOException {
    this(api, bindAddress, port, null);
  }

  /** @param user who every request comes from ({@link App#localUser}) */
  public LocalServer(Api api, String bindAddress, int port, String user) throws IOException {
    this.api = api;
    this.user = user;
    this.server = HttpServer.create(new InetSocketAddress(bindAddress, port), 64);
    this.workers = Executors.newFixedThreadPool(WORKERS);
    server.setExecutor(workers);
    server.createContext("/", this::serve);
  }

  /** Starts serving; with a warm pool configured, tops it up now and every minute. */
  public void start() {
    server.start();
    if (api.poolConfigured()) {
      poolTopUps.scheduleWithFixedDelay(this::topUpPool, 0, POOL_EVERY.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  /** One {@code POST /pool}, as the schedule calls it in AWS; its outcome is logged, a failure waits for the next minute. */
  private void topUpPool() {
    try {
      ApiResponse answer = api.handle(ApiRequest.to(Route.POOL, "{}").from(user));
      if (answer.status() != 200) {
        thebacknd.Log.warn("pool top-up answered " + answer.status() + ": " + answer.bodyText());
      } else if (answer.body().path("launched").size() > 0) {
        thebacknd.Log.info("pool top-up launched " + answer.body().path("launched").size() + " VM(s)");
      }
    } catch (RuntimeException bug) {
      thebacknd.Log.error("pool top-up failed: " + bug, bug);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    poolTopUps.shutdownNow();
    server.stop(0);
    workers.shutdownNow();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      ApiResponse response = api.handle(request(exchange).from(user));
      byte[] body = response.bodyText().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      response.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
      exchange.sendResponseHeaders(response.status(), body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Decodes the exchange; a body is read only up to one byte past its route's limit, which the Api refuses. */
  private static ApiRequest request(HttpExchange exchange) throws IOException {
    URI uri = exchange.getRequestURI();
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(Api.maxBodyBytes(uri.getPath()) + 1);
    }
    return new ApiRequest(exchange.getRequestMethod(), uri.getPath(), query(uri.getRawQuery()), new String(body, StandardCharsets.UTF_8));
  }

  private static Map<String, String> query(String rawQuery) {
    Map<String, String> query = new LinkedHashMap<>();
    if (rawQuery == null) {
      return query;
    }
    for (String pair : rawQuery.split("&")) {
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      String value = equals < 0 ? "" : pair.substring(equals + 1);
      try {
        query.putIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException badEscape) {
        query.putIfAbsent(name, value);
      }
    }
    return query;
  }
}
