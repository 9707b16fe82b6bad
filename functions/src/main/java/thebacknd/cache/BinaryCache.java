package thebacknd.cache;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import thebacknd.Failure;

/**
 * Reads files of a Nix binary cache. Implementations are safe to call from many threads.
 *
 * <p>Three outcomes, kept apart on purpose: the text; empty when the cache answers that the file
 * does not exist (404, NoSuchKey), which makes a path <em>missing</em>; and a {@link Failure} of
 * kind {@code UPSTREAM_FAILED} (502, {@code cache_unreachable}) for every other answer (403, 5xx after
 * retries, network errors), because then nothing is known about the closure and blaming the
 * developer's paths would mislead. A file that is there but unreadable (too large, compressed)
 * throws {@link IllegalArgumentException}, which the closure check reports as malformed.
 */
@FunctionalInterface
public interface BinaryCache {

  /** Narinfos are a few KiB; anything this large is not one. */
  int MAX_FILE_BYTES = 1024 * 1024;

  Optional<String> read(String fileName);

  /** The text of a file body, refusing what a narinfo reader cannot use. */
  static String text(byte[] body, String contentEncoding, String location) {
    if (body.length > MAX_FILE_BYTES) {
      throw new IllegalArgumentException(location + " is larger than " + MAX_FILE_BYTES + " bytes");
    }
    if (contentEncoding != null && !contentEncoding.isBlank() && !contentEncoding.equalsIgnoreCase("identity")) {
      throw new IllegalArgumentException(
          location + " is stored with Content-Encoding " + contentEncoding
              + "; push without narinfo-compression so it can be checked");
    }
    return new String(body, StandardCharsets.UTF_8);
  }

  static Failure unreachable(String message) {
    return new Failure(Failure.Kind.UPSTREAM_FAILED, "cache_unreachable", message);
  }
}
