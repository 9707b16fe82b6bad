package thebacknd.cache;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where {@code NIX_CACHE} points: an S3 bucket (read through the AWS SDK, so an emulator endpoint
 * and the caller's credentials apply) or an HTTP(S) base URL (read anonymously, as Nix does).
 * Query parameters are Nix store settings: {@code region}, {@code endpoint} and {@code scheme}
 * choose where S3 is; the rest ({@code profile}, {@code compression}, {@code priority}, …) only
 * matter to Nix and are accepted and ignored.
 */
public sealed interface CacheLocation {

  /** The URL of a file of the cache, for messages. */
  String describe(String fileName);

  /**
   * {@code s3://bucket[/prefix]?region=…&endpoint=…}.
   *
   * @param prefix without leading or trailing slashes; empty for the bucket's root
   */
  record S3(String bucket, String prefix, Optional<String> region, Optional<URI> endpoint) implements CacheLocation {

    private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,254}");
    private static final Pattern REGION = Pattern.compile("[a-z0-9-]+");

    public S3 {
      if (!BUCKET.matcher(bucket).matches()) {
        throw new IllegalArgumentException("'" + bucket + "' is not an S3 bucket name");
      }
      if (region.isPresent() && !REGION.matcher(region.get()).matches()) {
        throw new IllegalArgumentException("'" + region.get() + "' is not an AWS region");
      }
    }

    public String key(String fileName) {
      return prefix.isEmpty() ? fileName : prefix + "/" + fileName;
    }

    @Override
    public String describe(String fileName) {
      return "s3://" + bucket + "/" + key(fileName);
    }
  }

  /** {@code http(s)://host[:port][/path]}, e.g. an emulated bucket path-style: {@code http://127.0.0.1:5000/cache}. */
  record Http(URI base) implements CacheLocation {

    public URI resolve(String fileName) {
      return URI.create(base + "/" + fileName);
    }

    @Override
    public String describe(String fileName) {
      return resolve(fileName).toString();
    }
  }

  /** Whether {@code url} is of a kind of cache we can read: s3://, http:// or https://. */
  static boolean hasKnownScheme(String url) {
    String text = url == null ? "" : url.trim();
    return text.startsWith("s3://") || text.startsWith("http://") || text.startsWith("https://");
  }

  /** Parses a cache URL; the message of the exception says what is wrong. */
  static CacheLocation parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("a cache URL is required");
    }
    if (!hasKnownScheme(url)) {
      throw new IllegalArgumentException("a cache URL is s3://bucket[/prefix]?region=… or http(s)://…, got " + url);
    }
    String text = url.trim();
    int query = text.indexOf('?');
    String main = query < 0 ? text : text.substring(0, query);
    Map<String, String> params = query < 0 ? Map.of() : params(text.substring(query + 1));
    return main.startsWith("s3://") ? s3(main.substring("s3://".length()), params) : http(main);
  }

  private static S3 s3(String rest, Map<String, String> params) {
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : trimSlashes(rest.substring(slash + 1));
    Optional<String> region = Optional.ofNullable(params.get("region")).filter(r -> !r.isEmpty());
    Optional<URI> endpoint =
        Optional.ofNullable(params.get("endpoint"))
            .filter(e -> !e.isEmpty())
            .map(e -> endpoint(e, params.getOrDefault("scheme", "https")));
    return new S3(bucket, prefix, region, endpoint);
  }

  /** Nix takes {@code endpoint=host[:port]} plus {@code scheme=}; a full URL works too. */
  private static URI endpoint(String endpoint, String scheme) {
    String text = endpoint.contains("://") ? endpoint : scheme + "://" + endpoint;
    try {
      URI uri = new URI(text);
      // "//host:port/" has a host and no scheme.
      if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new URISyntaxException(text, "not an http(s) URL");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("endpoint '" + endpoint + "' is not a host[:port] or an http(s) URL");
    }
  }

  private static Http http(String main) {
    try {
      URI uri = new URI(main);
      if (uri.getHost() == null) {
        throw new URISyntaxException(main, "no host");
      }
      String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
      return new Http(new URI(uri.getScheme() + "://" + uri.getRawAuthority() + path));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + main + "' is not a valid http(s) URL with a host");
    }
  }

  private static Map<String, String> params(String query) {
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      String value = equals < 0 ? "" : pair.substring(equals + 1);
      params.put(decode(name), decode(value));
    }
    return params;
  }

  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad %-escape in the cache URL query: " + text);
    }
  }

  private static String trimSlashes(String path) {
    return path.replaceAll("^/+", "").replaceAll("/+$", "");
  }
}
