package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes {@code NIX_CACHE} parsing: any text is refused with an IllegalArgumentException or gives
 * a location whose file URLs (what the closure check reads) can be made.
 */
class CacheLocationFuzzTest {

  @FuzzTest
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    CacheLocation location;
    try {
      location = CacheLocation.parse(text);
    } catch (IllegalArgumentException refused) {
      return;
    }
    String described = location.describe("nix-cache-info");
    assertTrue(described.endsWith("/nix-cache-info"), described);
    if (location instanceof CacheLocation.Http http) {
      String scheme = http.resolve("0000000000000000000000000000000a.narinfo").getScheme();
      assertTrue(scheme.equals("http") || scheme.equals("https"), scheme);
    }
    if (location instanceof CacheLocation.S3 s3) {
      s3.endpoint().ifPresent(e -> assertTrue(e.getHost() != null && (e.getScheme().equals("http") || e.getScheme().equals("https")), e.toString()));
    }
  }
}
