package thebacknd.cache;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * A cache over HTTP(S), read anonymously with the JDK client as Nix reads it. A 5xx, 429 or
 * network error is retried a few times; a 404 is a missing file; anything else is a refusal.
 */
public final class HttpBinaryCache implements BinaryCache {

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
  static final int ATTEMPTS = 3;
  static final Duration FIRST_BACKOFF = Duration.ofMillis(200);

  private final HttpClient http;
  private final CacheLocation.Http location;

  public HttpBinaryCache(HttpClient http, CacheLocation.Http location) {
    this.http = http;
    this.location = location;
  }

  public static HttpClient defaultClient() {
    return HttpClient.newBuilder()
        .connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .version(HttpClient.Version.HTTP_1_1)
        .build();
  }

  @Override
  public Optional<String> read(String fileName) {
    URI uri = location.resolve(fileName);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).GET().build();
    String lastProblem = "no attempt made";
    Duration backoff = FIRST_BACKOFF;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) {
        sleep(backoff);
        backoff = backoff.multipliedBy(2);
      }
      try {
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
          int status = response.statusCode();
          if (status == 200) {
            byte[] bytes = body.readNBytes(MAX_FILE_BYTES + 1);
            String encoding = response.headers().firstValue("Content-Encoding").orElse(null);
            return Optional.of(BinaryCache.text(bytes, encoding, uri.toString()));
          }
          if (status == 404) {
            return Optional.empty();
          }
          lastProblem = "HTTP " + status;
          if (status != 429 && status < 500) {
            throw BinaryCache.unreachable(refusal(uri, status));
          }
        }
      } catch (IOException e) {
        lastProblem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw BinaryCache.unreachable("Interrupted while reading " + uri + ".");
      }
    }
    throw BinaryCache.unreachable("Cannot read " + uri + " after " + ATTEMPTS + " attempts: " + lastProblem + ".");
  }

  private static String refusal(URI uri, int status) {
    String message = "The cache refused to read " + uri + ": HTTP " + status + ".";
    if (status == 403) {
      message += " An S3 bucket answers 403 both for objects it may not serve and, to readers who may"
          + " not list it, for missing ones.";
    }
    return message;
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw BinaryCache.unreachable("Interrupted while waiting to retry.");
    }
  }
}
