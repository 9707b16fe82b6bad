package thebacknd.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * A binary cache a build on the VM may substitute from besides the thebacknd cache ({@code
 * THEBACKND_UPSTREAM_CACHES}, e.g. the public NixOS cache), with the one key its paths must be
 * signed by. The VM adds both to its Nix settings for that build only; {@code require-sigs} stays on.
 *
 * @param url an {@code http(s)://} or {@code s3://} cache URL, as given
 * @param key {@code name:base64}, an Ed25519 public key in Nix's format
 */
public record UpstreamCache(String url, String key) {

  public UpstreamCache {
    CacheLocation.parse(url);
    if (TrustedKeys.parse(key).names().size() != 1 || key.contains(" ")) {
      throw new IllegalArgumentException("'" + key + "' is not one key");
    }
  }

  /**
   * {@code URL=KEY} pairs separated by whitespace. A URL may hold {@code =} (a query) and a key
   * ends with one (base64), but a key's name never does: each pair splits at the first {@code =}
   * after which a valid key follows.
   */
  public static List<UpstreamCache> parseAll(String text) {
    List<UpstreamCache> caches = new ArrayList<>();
    for (String pair : text.trim().split("\\s+")) {
      if (!pair.isEmpty()) {
        caches.add(parsePair(pair));
      }
    }
    return List.copyOf(caches);
  }

  private static UpstreamCache parsePair(String pair) {
    IllegalArgumentException keyProblem = null;
    for (int equals = pair.indexOf('='); equals >= 0; equals = pair.indexOf('=', equals + 1)) {
      String key = pair.substring(equals + 1);
      try {
        TrustedKeys.parse(key);
      } catch (IllegalArgumentException notAKey) {
        keyProblem = keyProblem == null ? notAKey : keyProblem;
        continue;
      }
      String url = pair.substring(0, equals);
      try {
        return new UpstreamCache(url, key);
      } catch (IllegalArgumentException badUrl) {
        throw new IllegalArgumentException("'" + url + "' is not a cache URL: " + badUrl.getMessage());
      }
    }
    throw new IllegalArgumentException(
        "'" + pair + "' is not URL=KEY" + (keyProblem == null ? " (no =)" : " (" + keyProblem.getMessage() + ")"));
  }
}
