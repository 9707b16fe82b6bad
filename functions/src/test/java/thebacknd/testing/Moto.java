package thebacknd.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.regions.Region;
import thebacknd.Lazy;
import thebacknd.aws.AwsClients;

/**
 * The moto server every AWS test talks to over real HTTP. {@code dev/test} starts one and exports
 * {@code AWS_ENDPOINT_URL}; when that is absent (a test run from an IDE), the first test starts
 * {@code .venv/bin/moto_server} on a free loopback port and it stops with the JVM.
 */
public final class Moto {

  private static final Lazy<URI> ENDPOINT = Lazy.of(Moto::findOrStart);
  private static final Lazy<AwsClients> CLIENTS =
      Lazy.of(() -> new AwsClients(Optional.of(Region.US_EAST_1), Optional.of(endpoint())));

  private Moto() {}

  public static URI endpoint() {
    return ENDPOINT.get();
  }

  /** Clients pointed at moto (path-style S3, dummy credentials from the environment), shared by every test. */
  public static AwsClients clients() {
    return CLIENTS.get();
  }

  /** Forgets every resource in every service: each test starts from an empty account. */
  public static void reset() {
    try {
      HttpURLConnection c = (HttpURLConnection) endpoint().resolve("/moto-api/reset").toURL().openConnection();
      c.setRequestMethod("POST");
      c.setConnectTimeout(5000);
      c.setReadTimeout(30000);
      if (c.getResponseCode() != 200) {
        throw new IllegalStateException("moto reset answered HTTP " + c.getResponseCode());
      }
      c.disconnect();
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach moto at " + endpoint(), e);
    }
  }

  private static URI findOrStart() {
    String fromEnv = System.getenv("AWS_ENDPOINT_URL");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return URI.create(fromEnv);
    }
    Path motoServer = Repo.root().resolve(".venv/bin/moto_server");
    if (!Files.isExecutable(motoServer)) {
      throw new IllegalStateException("no AWS_ENDPOINT_URL and no " + motoServer + ": run dev/test (or dev/setup) first");
    }
    try {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      Process moto =
          new ProcessBuilder(motoServer.toString(), "-H", "127.0.0.1", "-p", String.valueOf(port))
              .redirectErrorStream(true)
              .redirectOutput(Files.createTempFile("moto", ".log").toFile())
              .start();
      Runtime.getRuntime().addShutdownHook(new Thread(moto::destroy));
      URI uri = URI.create("http://127.0.0.1:" + port);
      Poll.until(Duration.ofSeconds(30), () -> isUp(uri), "moto to start on " + uri);
      return uri;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start moto", e);
    }
  }

  private static boolean isUp(URI uri) {
    try {
      HttpURLConnection c = (HttpURLConnection) uri.resolve("/moto-api/").toURL().openConnection();
      c.setConnectTimeout(500);
      return c.getResponseCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }
}
