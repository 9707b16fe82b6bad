package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NarInfoTest {

  /** Written by Nix 2.8's {@code nix copy --to file://…?compression=zstd}. */
  static final String TOP =
      """
      StorePath: /nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x
      URL: nar/0blfb6mipsg52clixn1wny28q9s3qydhldnzahh9fnzhqzj9bgnf.nar.zst
      Compression: zstd
      FileHash: sha256:0blfb6mipsg52clixn1wny28q9s3qydhldnzahh9fnzhqzj9bgnf
      FileSize: 136
      NarHash: sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz
      NarSize: 168
      References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0
      Deriver: 64wcr8yr7ll5ccj9lwif4z6hg4x1qi49-top_v1.2+x.drv
      Sig: k1:UuidyxDHeTUOhNZqgzzwTqyYoGMgzNPBV2lUzR+Q5q6sZU/hnjqZLyy7CdSVRf0/FplDIQidLOiyNYWlXPoKAA==
      """;

  @Test
  void parsesEveryFieldNixWrites() {
    NarInfo info = NarInfo.parse(TOP + "CA: fixed:r:sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz\n");
    assertEquals(StorePath.parse("/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x"), info.storePath());
    assertEquals("nar/0blfb6mipsg52clixn1wny28q9s3qydhldnzahh9fnzhqzj9bgnf.nar.zst", info.url());
    assertEquals("zstd", info.compression());
    assertEquals(Optional.of("sha256:0blfb6mipsg52clixn1wny28q9s3qydhldnzahh9fnzhqzj9bgnf"), info.fileHash());
    assertEquals(OptionalLong.of(136), info.fileSize());
    assertEquals("sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz", info.narHash());
    assertEquals(168, info.narSize());
    assertEquals(List.of(StorePath.parseBaseName("j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0")), info.references());
    assertEquals(Optional.of(StorePath.parseBaseName("64wcr8yr7ll5ccj9lwif4z6hg4x1qi49-top_v1.2+x.drv")), info.deriver());
    assertEquals(List.of("k1:UuidyxDHeTUOhNZqgzzwTqyYoGMgzNPBV2lUzR+Q5q6sZU/hnjqZLyy7CdSVRf0/FplDIQidLOiyNYWlXPoKAA=="), info.sigs());
    assertEquals(Optional.of("fixed:r:sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz"), info.ca());
  }

  @Test
  void theFingerprintIsWhatNixSigns() {
    assertEquals(
        "1;/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x;sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz;168;"
            + "/nix/store/j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0",
        NarInfo.parse(TOP).fingerprint());
  }

  @Test
  void fingerprintSortsAndDeduplicatesReferencesAndNormalisesNumbersAndHashes() {
    String shuffled =
        TOP.replace("References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0",
                "References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0  8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x "
                    + "0001111111111111111111111111111a-a j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0")
            .replace("NarSize: 168", "NarSize: 0168")
            .replace("sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz", "sha256-" + Base64.getEncoder()
                .encodeToString(NixHash.parseSha256("sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz")));
    assertEquals(
        "1;/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x;sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz;168;"
            + "/nix/store/0001111111111111111111111111111a-a,"
            + "/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x,"
            + "/nix/store/j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0",
        NarInfo.parse(shuffled).fingerprint());
  }

  @Test
  void minimalNarinfoGetsNixDefaults() {
    NarInfo info =
        NarInfo.parse(
            """
            StorePath: /nix/store/j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0
            URL: nar/x.nar
            NarHash: sha256:00kjynz8n03652qccs76ivsvark3pr3dfr6w1ba3x7bx83kcknvv
            NarSize: 120
            """);
    assertEquals("bzip2", info.compression());
    assertEquals(List.of(), info.references());
    assertEquals(List.of(), info.sigs());
    assertEquals(Optional.empty(), info.deriver());
    assertEquals(Optional.empty(), info.fileHash());
    assertEquals(OptionalLong.empty(), info.fileSize());
    assertEquals("1;/nix/store/j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0;sha256:00kjynz8n03652qccs76ivsvark3pr3dfr6w1ba3x7bx83kcknvv;120;", info.fingerprint());
  }

  @Test
  void unknownFieldsAreIgnoredAndSigsAccumulate() {
    NarInfo info = NarInfo.parse(TOP + "System: x86_64-linux\nSig: k2:abc\nDeriver2: x\n");
    assertEquals(2, info.sigs().size());
    assertEquals("k2:abc", info.sigs().get(1));
  }

  @Test
  void unknownDeriverIsNoDeriver() {
    NarInfo info = NarInfo.parse(TOP.replaceFirst("Deriver: .*", "Deriver: unknown-deriver"));
    assertEquals(Optional.empty(), info.deriver());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "StorePath: /nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x|StorePath: /nix/store/8klzi2nf5davbh9n2ddf842y4l512ldt-top|StorePath on line 1",
    "StorePath: /nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-top_v1.2+x|Path: x|StorePath is missing",
    "URL: nar/0blfb6mipsg52clixn1wny28q9s3qydhldnzahh9fnzhqzj9bgnf.nar.zst|'URL: '|URL is missing",
    "URL: nar/0blfb6mipsg52clixn1wny28q9s3qydhldnzahh9fnzhqzj9bgnf.nar.zst|URL:|line 2 is not 'Name: value'",
    "NarHash: sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz|NarHash: sha256:1ra9|NarHash on line 6",
    "NarHash: sha256:1ra9jmszqxvjf8f66y2qg7qr4irbngdzx3d7mlx7g6gz3r4bdqaz|Nar: x|NarHash is missing",
    "NarSize: 168|NarSize: 0|NarSize is missing or zero",
    "NarSize: 168|NarSize: -168|NarSize on line 7",
    "NarSize: 168|NarSize: 1e3|NarSize on line 7",
    "NarSize: 168|NarSize: 99999999999999999999|NarSize on line 7",
    "FileSize: 136|FileSize: +136|FileSize on line 5",
    "FileHash: sha256:0blfb6mipsg52clixn1wny28q9s3qydhldnzahh9fnzhqzj9bgnf|FileHash: md5:x|FileHash on line 4",
    "References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0|References: /nix/store/j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0|References on line 8",
    "References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0|References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep lib|References on line 8",
    "Deriver: 64wcr8yr7ll5ccj9lwif4z6hg4x1qi49-top_v1.2+x.drv|Deriver: ../../etc/passwd|Deriver on line 9",
    "NarSize: 168|NarSize:168|line 7 is not 'Name: value'",
    "NarSize: 168|NarSize 168|line 7 is not 'Name: value'",
    "NarSize: 168|NarSize: 168\\nNarSize: 169|NarSize appears twice",
    "References: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0|'References: \\nReferences: j5m892pd2fbkkx9gnx7qffnfr2k84axa-dep+lib_1.0'|References appears twice",
    "NarSize: 168|NarSize: 168\\n|line 8 is not 'Name: value'",
    "NarSize: 168|NarSize: 168\\r|NarSize on line 7",
  })
  void malformedNarinfosAreRejectedWithAReason(String line, String replacement, String reason) {
    String text = TOP.replace(line, replacement.replace("\\n", "\n").replace("\\r", "\r"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NarInfo.parse(text));
    assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
  }

  @Test
  void emptyOrUnterminatedNarinfosAreMalformed() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NarInfo.parse("")).getMessage().contains("empty"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NarInfo.parse(TOP.strip())).getMessage().contains("newline"));
    assertThrows(IllegalArgumentException.class, () -> NarInfo.parse("<html><body>Not found</body></html>\n"));
  }
}
