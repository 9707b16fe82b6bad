package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Vectors from Nix 2.8: {@code nix hash to-base32 --type …}. */
class NixHashTest {

  @ParameterizedTest
  @CsvSource({
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, 0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73",
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824, 094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic",
    "7bdbc9e6407d9d3ed40adc64d746be6366b5f58ee668c6b02866008bbef57202, 00kjynz8n03652qccs76ivsvark3pr3dfr6w1ba3x7bx83kcknvv",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709, 143xibwh31h9bvxzalr0sjvbbvpa6ffs",
    "d41d8cd98f00b204e9800998ecf8427e, 3y8bwfr609h3lh9ch0izcqq7fl",
  })
  void base32MatchesNix(String hex, String nixBase32) {
    byte[] bytes = HexFormat.of().parseHex(hex);
    assertEquals(nixBase32, NixBase32.encode(bytes));
    assertArrayEquals(bytes, NixBase32.decode(nixBase32, bytes.length));
  }

  @Test
  void base32RoundTripsRandomBytes() {
    Random random = new Random(7);
    for (int length = 1; length <= 64; length++) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      String text = NixBase32.encode(bytes);
      assertEquals(NixBase32.encodedLength(length), text.length());
      assertArrayEquals(bytes, NixBase32.decode(text, length));
    }
  }

  @Test
  void base32RejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> NixBase32.decode("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7", 32));
    assertThrows(IllegalArgumentException.class, () -> NixBase32.decode("emdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", 32));
    // The first character carries bits beyond 256: only 0 and 1 fit.
    assertThrows(IllegalArgumentException.class, () -> NixBase32.decode("zmdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", 32));
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "sha256:00kjynz8n03652qccs76ivsvark3pr3dfr6w1ba3x7bx83kcknvv",
    "sha256:7bdbc9e6407d9d3ed40adc64d746be6366b5f58ee668c6b02866008bbef57202",
    "sha256:7BDBC9E6407D9D3ED40ADC64D746BE6366B5F58EE668C6B02866008BBEF57202",
    "sha256:e9vJ5kB9nT7UCtxk10a+Y2a19Y7maMawKGYAi771cgI=",
    "sha256-e9vJ5kB9nT7UCtxk10a+Y2a19Y7maMawKGYAi771cgI=",
  })
  void everyFormNixReadsNormalisesToBase32(String form) {
    assertEquals("sha256:00kjynz8n03652qccs76ivsvark3pr3dfr6w1ba3x7bx83kcknvv", NixHash.normalise(form));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "00kjynz8n03652qccs76ivsvark3pr3dfr6w1ba3x7bx83kcknvv|sha256:<digest>",
    "sha512:00kjynz8n03652qccs76ivsvark3pr3dfr6w1ba3x7bx83kcknvv|only sha256",
    "md5:3y8bwfr609h3lh9ch0izcqq7fl|only sha256",
    "sha256:07bdbc9e6407d9d3ed40adc64d746be6366b5f58ee668c6b02866008bbef57202|64 (base16)",
    "sha256:|64 (base16)",
    "sha256:7bdbc9e6407d9d3ed40adc64d746be6366b5f58ee668c6b02866008bbef5720g|bad base16",
    "sha256:e9vJ5kB9nT7UCtxk10a+Y2a19Y7maMawKGYAi771cg!=|bad base64",
    "sha256-e9vJ5kB9nT7UCtxk10a+Y2a19Y7maMawKGYAi771c|bad base64",
    "sha256-AAAA|32 bytes",
  })
  void rejectsWhatNixRejects(String text, String messagePart) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NixHash.parseSha256(text));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }
}
