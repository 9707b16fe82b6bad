package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzzes the flake-reference grammar of a VM build: any text is refused with an
 * IllegalArgumentException (one line), or accepted as a reference that is the very same text,
 * at most 1 KiB of printable ASCII, with one {@code #} and an attribute, of an allowed scheme,
 * never local, and over plain HTTP only to a loopback host.
 */
class FlakeRefFuzzTest {

  @FuzzTest
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    FlakeRef ref;
    try {
      ref = FlakeRef.parse(text);
    } catch (IllegalArgumentException refused) {
      assertEquals(1, refused.getMessage().lines().count(), refused.getMessage());
      return;
    }
    assertEquals(text, ref.text());
    assertTrue(text.getBytes(StandardCharsets.UTF_8).length <= FlakeRef.MAX_BYTES);
    assertTrue(text.chars().allMatch(c -> c > ' ' && c < 127), "printable ASCII");
    int hash = text.indexOf('#');
    assertTrue(hash > 0 && hash == text.lastIndexOf('#'), "one #");
    assertEquals(text.substring(hash + 1), ref.attribute());
    assertFalse(ref.attribute().isEmpty());
    assertTrue(FlakeRef.SCHEMES.contains(ref.scheme()), ref.scheme());
    assertTrue(text.startsWith(ref.scheme() + ":"));
    for (String local : List.of("path:", "file:", "git+file:", "/", ".", "~")) {
      assertFalse(text.startsWith(local), text);
    }
    if (ref.scheme().contains("http") || ref.scheme().equals("git+ssh")) {
      URI uri = URI.create(text.substring(0, hash));
      assertTrue(uri.getHost() != null && !uri.getHost().isEmpty(), text);
      assertTrue(uri.getUserInfo() == null || (ref.scheme().equals("git+ssh") && !uri.getUserInfo().contains(":")), text);
      if (ref.scheme().equals("git+http")) {
        assertTrue(uri.getHost().equals("localhost") || uri.getHost().startsWith("127."), text);
      }
    }
    assertEquals(ref, new FlakeRef(ref.text(), ref.scheme(), ref.attribute()));
  }
}
