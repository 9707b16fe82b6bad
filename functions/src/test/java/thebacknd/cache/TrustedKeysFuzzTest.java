package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzzes {@code NIX_TRUSTED_KEY} parsing: any text is refused with an IllegalArgumentException or
 * gives keys whose {@link TrustedKeys#text} (what user-data carries) parses back to the same keys,
 * and which verify no signature the fuzzer made up.
 */
class TrustedKeysFuzzTest {

  private static final NarInfo INFO =
      NarInfo.parse(
          """
          StorePath: /nix/store/3r733qcrl5pn9a5l07cn9awh676aiics-hello
          URL: nar/1.nar.zst
          NarHash: sha256:0aw1gp5w8pmbvaydjwdyx3mhvm8k1f5qiigdsjsfikk3ydmw5ya4
          NarSize: 120
          """);

  @FuzzTest
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    TrustedKeys keys;
    try {
      keys = TrustedKeys.parse(text);
    } catch (IllegalArgumentException refused) {
      return;
    }
    assertFalse(keys.names().isEmpty());
    TrustedKeys again = TrustedKeys.parse(keys.text());
    assertEquals(keys.text(), again.text());
    assertEquals(keys.names(), again.names());
    List<String> sigs = keys.names().stream().map(name -> name + ":" + text.strip()).toList();
    NarInfo signed = new NarInfo(INFO.storePath(), INFO.url(), INFO.compression(), INFO.fileHash(), INFO.fileSize(),
        INFO.narHash(), INFO.narSize(), INFO.references(), INFO.deriver(), sigs, INFO.ca());
    assertInstanceOf(TrustedKeys.Unsigned.class, keys.verify(signed));
  }
}
