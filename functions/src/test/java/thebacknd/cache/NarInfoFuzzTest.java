package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzzes {@link NarInfo#parse}, the parser of the one file a cache serves us for every path:
 * any text is either refused with an IllegalArgumentException or gives a narinfo that keeps the
 * parser's promises. {@code mvn test} replays {@code NarInfoFuzzTestInputs/parse}; {@code dev/fuzz}
 * fuzzes it.
 */
class NarInfoFuzzTest {

  private static final TrustedKeys KEYS = TrustedKeys.parse("test-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=");

  @FuzzTest
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    NarInfo info;
    try {
      info = NarInfo.parse(text);
    } catch (IllegalArgumentException refused) {
      return;
    }
    assertTrue(info.narHash().matches("sha256:[0-9a-df-np-sv-z]{52}"), info.narHash());
    assertTrue(info.narSize() > 0);
    assertTrue(!info.url().isEmpty() && !info.compression().isEmpty());
    List<String> names = info.references().stream().map(StorePath::baseName).toList();
    assertEquals(names.stream().sorted().distinct().toList(), names, "references are sorted and distinct");
    assertEquals(info.fingerprint(), NarInfo.parse(text).fingerprint());
    // Nobody forges an Ed25519 signature by mutating bytes: whatever the Sig lines say, it is unsigned.
    assertInstanceOf(TrustedKeys.Unsigned.class, KEYS.verify(info));
  }
}
