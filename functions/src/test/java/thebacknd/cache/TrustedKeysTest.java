package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import thebacknd.testing.NixKey;

class TrustedKeysTest {

  /** The key Nix 2.8 generated and signed {@link NarInfoTest#TOP} with. */
  static final String K1 = "k1:CEvyA/Lpdm2z3rfTmRl66ycGKZAHzuDWItwVWQz8soM=";

  @TempDir Path dir;

  @Test
  void aNarinfoSignedByNixVerifies() {
    TrustedKeys.Verdict verdict = TrustedKeys.parse(K1).verify(NarInfo.parse(NarInfoTest.TOP));
    assertEquals(new TrustedKeys.Signed("k1"), verdict);
  }

  @Test
  void anyOneTrustedKeyIsEnough() {
    NixKey other = NixKey.generateInJava(dir, "other-1");
    TrustedKeys keys = TrustedKeys.parse(other.publicKey() + "  \n " + K1 + " ");
    assertEquals(List.of("other-1", "k1"), keys.names());
    assertEquals(new TrustedKeys.Signed("k1"), keys.verify(NarInfo.parse(NarInfoTest.TOP)));
  }

  @Test
  void aSignatureByAnUntrustedKeyIsNotEnough() {
    NixKey other = NixKey.generateInJava(dir, "other-1");
    TrustedKeys.Verdict verdict = TrustedKeys.parse(other.publicKey()).verify(NarInfo.parse(NarInfoTest.TOP));
    assertEquals(new TrustedKeys.Unsigned("signed only by untrusted keys (k1)"), verdict);
  }

  @Test
  void aTrustedNameWithAnotherKeyDoesNotVerify() {
    NixKey impostor = NixKey.generateInJava(dir, "k1");
    TrustedKeys.Verdict verdict = TrustedKeys.parse(impostor.publicKey()).verify(NarInfo.parse(NarInfoTest.TOP));
    assertUnsigned(verdict, "does not match");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "NarSize: 168|NarSize: 169",
    "NarHash: sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz|NarHash: sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqa0",
    "References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0|'References: '",
    "References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0|References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0 00000000000000000000000000000000-evil",
    "StorePath: /nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x|StorePath: /nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+y",
  })
  void editingASignedFieldBreaksTheSignature(String line, String replacement) {
    NarInfo edited = NarInfo.parse(NarInfoTest.TOP.replace(line, replacement));
    assertUnsigned(TrustedKeys.parse(K1).verify(edited), "the signature by k1 does not match");
  }

  @Test
  void fieldsOutsideTheFingerprintMayChange() {
    // URL, compression and file hash/size are not signed: re-compressing a cache keeps its signatures.
    NarInfo edited =
        NarInfo.parse(NarInfoTest.TOP.replace("Compression: zstd", "Compression: xz").replace("FileSize: 136", "FileSize: 137"));
    assertEquals(new TrustedKeys.Signed("k1"), TrustedKeys.parse(K1).verify(edited));
  }

  @Test
  void aNarHashWrittenInBase16StillVerifiesAsWithNix() {
    // Nix 2.8 reads NarHash in any form and signs its base32 form; `nix store verify` accepts this.
    String base16 = "sha256:" + HexFormat.of().formatHex(NixHash.parseSha256("sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz"));
    NarInfo rewritten = NarInfo.parse(NarInfoTest.TOP.replace("sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz", base16));
    assertEquals(new TrustedKeys.Signed("k1"), TrustedKeys.parse(K1).verify(rewritten));
  }

  @Test
  void badSignaturesAreSkippedNotFatal() {
    String sig = NarInfo.parse(NarInfoTest.TOP).sigs().get(0);
    String text = NarInfoTest.TOP.replace("Sig: " + sig, "Sig: k1:not-base64!\nSig: k1:AAAA\nSig: nocolon\nSig: " + sig);
    assertEquals(new TrustedKeys.Signed("k1"), TrustedKeys.parse(K1).verify(NarInfo.parse(text)));
    String onlyBad = NarInfoTest.TOP.replace("Sig: " + sig, "Sig: k1:not-base64!");
    assertUnsigned(TrustedKeys.parse(K1).verify(NarInfo.parse(onlyBad)), "does not match");
  }

  @Test
  void noSignatureAtAll() {
    NarInfo unsigned = NarInfo.parse(NarInfoTest.TOP.replaceFirst("Sig: .*\n", ""));
    assertEquals(new TrustedKeys.Unsigned("no signature"), TrustedKeys.parse(K1).verify(unsigned));
  }

  @Test
  void javaSignaturesInNixFormatVerify() {
    NixKey key = NixKey.generateInJava(dir, "java-1");
    NarInfo info = NarInfo.parse(NarInfoTest.TOP.replaceFirst("Sig: .*\n", ""));
    NarInfo signed = NarInfo.parse(NarInfoTest.TOP.replaceFirst("Sig: .*\n", "Sig: " + key.sign(info.fingerprint()) + "\n"));
    assertEquals(new TrustedKeys.Signed("java-1"), TrustedKeys.parse(key.publicKey()).verify(signed));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "''|at least one",
    "'   '|at least one",
    "k1|name:base64",
    ":CEvyA/Lpdm2z3rfTmRl66ycGKZAHzuDWItwVWQz8soM=|name:base64",
    "k1:|name:base64",
    "k1:not*base64|not valid base64",
    "k1:AAAA|32 bytes",
    "k1://////////////////////////////////////////8=|not a valid Ed25519 public key",
    "k1:v15SenQvtqShcoh5or3ByvG0jNxlMwpHTiK3ZbxGCqcIS/ID8ul2bbPet9OZGXrrJwYpkAfO4NYi3BVZDPyygw==|is it the secret key?",
  })
  void malformedKeysAreRejected(String text, String messagePart) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrustedKeys.parse(text));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }

  private static void assertUnsigned(TrustedKeys.Verdict verdict, String reasonPart) {
    TrustedKeys.Unsigned unsigned = assertInstanceOf(TrustedKeys.Unsigned.class, verdict);
    assertTrue(unsigned.reason().contains(reasonPart), unsigned.reason());
  }
}
