package thebacknd.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import thebacknd.Failure;

/**
 * {@code thebacknd serve}: the same routes through the same {@link Api}, on the JDK's HTTP server.
 * Binds to loopback unless told otherwise; there is no authentication here.
 */
public final class LocalServer implements AutoCloseable {

  private static final int WORKERS = 32;

  private final HttpServer server;
  private final ExecutorService workers;
  private final Api api;

  public LocalServer(Api api, String bindAddress, int port) throws IOException {
    this.api = api;
    this.server = HttpServer.create(new InetSocketAddress(bindAddress, port), 64);
    this.workers = Executors.newFixedThreadPool(WORKERS);
    server.setExecutor(workers);
    server.createContext("/", this::serve);
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      ApiResponse response = answer(exchange);
      byte[] body = response.bodyText().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(response.status(), body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private ApiResponse answer(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    Optional<Endpoint> endpoint = Endpoint.forPath(path);
    if (endpoint.isEmpty()) {
      return ApiResponse.error(new Failure(Failure.Kind.NOT_FOUND, "not_found", "No route " + Failure.excerpt(path, 60) + "."));
    }
    if (!endpoint.get().method.equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", endpoint.get().method);
      return ApiResponse.error(
          new Failure(Failure.Kind.METHOD_NOT_ALLOWED, "method_not_allowed", path + " only accepts " + endpoint.get().method + "."));
    }
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(Api.MAX_BODY_BYTES + 1);
    }
    if (body.length > Api.MAX_BODY_BYTES) {
      return ApiResponse.error(
          new Failure(Failure.Kind.TOO_LARGE, "body_too_large", "The body is larger than " + Api.MAX_BODY_BYTES + " bytes."));
    }
    return api.handle(endpoint.get(), new String(body, StandardCharsets.UTF_8));
  }
}
