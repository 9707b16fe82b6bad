package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the strict store path and binary path parsers (DESIGN §6): any text is refused with an
 * IllegalArgumentException or parsed into a path that prints back as the very same text.
 */
class StorePathFuzzTest {

  @FuzzTest
  void storePath(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    StorePath path;
    try {
      path = StorePath.parse(text);
    } catch (IllegalArgumentException refused) {
      return;
    }
    assertEquals(text, path.toString());
    assertEquals(path, StorePath.parseBaseName(path.baseName()));
    assertTrue(text.chars().allMatch(c -> c > ' ' && c < 127), "a store path is printable ASCII");
  }

  @FuzzTest
  void binaryPath(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    BinaryPath path;
    try {
      path = BinaryPath.parse(text);
    } catch (IllegalArgumentException refused) {
      return;
    }
    assertEquals(text, path.toString());
    assertTrue(text.length() <= BinaryPath.MAX_LENGTH);
    assertTrue(path.toString().startsWith(path.storePath().toString()));
    assertTrue(text.chars().allMatch(c -> c > ' ' && c < 127), "a binary path is printable ASCII");
  }
}
