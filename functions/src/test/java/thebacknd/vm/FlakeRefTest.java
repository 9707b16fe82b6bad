package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The flake-reference grammar a VM build accepts: remote sources only, an attribute always. */
class FlakeRefTest {

  @ParameterizedTest
  @CsvSource({
      "github:owner/repo#web, github, web",
      "github:NixOS/nixpkgs/nixos-23.11#hello, github, hello",
      "github:owner/repo?dir=examples&ref=main#packages.x86_64-linux.greet, github, packages.x86_64-linux.greet",
      "gitlab:group%2Fsub/repo#nixosConfigurations.web, gitlab, nixosConfigurations.web",
      "sourcehut:~user/repo/v1.0#default, sourcehut, default",
      "git+https://example.org/owner/repo?ref=main#prog, git+https, prog",
      "git+https://example.org:8443/repo.git?rev=0123456789abcdef0123456789abcdef01234567#prog, git+https, prog",
      "git+ssh://git@github.com/owner/repo#web, git+ssh, web",
      "git+ssh://example.org/srv/repo.git#web, git+ssh, web",
      "https://example.org/archive/main.tar.gz#hello, https, hello",
      "git+http://127.0.0.1:8080/flake.git#greet, git+http, greet",
      "git+http://localhost/flake.git?ref=main#greet, git+http, greet",
      "git+http://127.255.0.9:1/x#a.b-c.d_e'+f, git+http, a.b-c.d_e'+f",
  })
  void acceptsRemoteSourcesWithAnAttribute(String text, String scheme, String attribute) {
    FlakeRef ref = FlakeRef.parse(text);
    assertEquals(text, ref.text());
    assertEquals(scheme, ref.scheme());
    assertEquals(attribute, ref.attribute());
    assertEquals(text, ref.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "github:owner/repo",
      "github:owner/repo#",
      "github:owner/repo#a#b",
      "github:owner/repo#.a",
      "github:owner/repo#a.",
      "github:owner/repo#a..b",
      "github:owner/repo#\"quoted\"",
      "github:owner/repo#a b",
      "github:owner/repo #a",
      "github:owner/repo#a\n",
      "github:owner/repo#a\u0000",
      "github:owner/repo#caf\u00e9",
      "github:owner/repo#a\u00a0",
      "github:owner#a",
      "github:/owner/repo#a",
      "github:owner/repo/#a",
      "github:owner//repo#a",
      "github:~owner/repo#a",
      "sourcehut:owner/repo#a",
      "github:owner/repo?x=$(id)#a",
      "github:owner/repo?x=`id`#a",
      "GitHub:owner/repo#a",
      ".#web",
      "./sub#web",
      "/home/me/flake#web",
      "~/flake#web",
      "#web",
      "path:/home/me/flake#web",
      "path:.#web",
      "file:///home/me/flake.tar.gz#web",
      "git+file:///home/me/repo#web",
      "tarball+file:///x.tar.gz#web",
      "nixpkgs#hello",
      "flake:nixpkgs#hello",
      "http://example.org/x.tar.gz#hello",
      "git+http://example.org/repo#web",
      "git+http://127.0.0.1.nip.io/repo#web",
      "git+http://localhost.example.org/repo#web",
      "git+http://128.0.0.1/repo#web",
      "git+http://127.0.0.256/repo#web",
      "git+http://[::1]/repo#web",
      "git+http://0x7f000001/repo#web",
      "git+https://user:token@example.org/repo#web",
      "git+https://user@example.org/repo#web",
      "https://user@example.org/x.tar.gz#web",
      "git+ssh://git:pw@example.org/repo#web",
      "git+https:example.org/repo#web",
      "git+https://#web",
      "git+https://example.org#web",
      "git+https://example.org/#web",
      "git+https:///repo#web",
      "hg+https://example.org/repo#web",
      "tarball+https://example.org/x.tar.gz#web",
      "s3://bucket/flake#web",
  })
  void refusesEverythingElse(String text) {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> FlakeRef.parse(text));
    assertTrue(!refused.getMessage().isBlank() && refused.getMessage().lines().count() == 1, refused.getMessage());
  }

  @org.junit.jupiter.api.Test
  void isAtMostOneKibibyte() {
    String prefix = "git+https://example.org/";
    String suffix = "#a";
    String longest = prefix + "r".repeat(FlakeRef.MAX_BYTES - prefix.length() - suffix.length()) + suffix;
    assertEquals(FlakeRef.MAX_BYTES, FlakeRef.parse(longest).text().length());
    String tooLong = prefix + "r".repeat(FlakeRef.MAX_BYTES - prefix.length() - suffix.length() + 1) + suffix;
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> FlakeRef.parse(tooLong));
    assertTrue(refused.getMessage().contains("1025 bytes"), refused.getMessage());
  }

  @org.junit.jupiter.api.Test
  void theRecordHoldsOnlyWhatParseAccepts() {
    assertThrows(IllegalArgumentException.class, () -> new FlakeRef("path:.#a", "path", "a"));
    assertThrows(IllegalArgumentException.class, () -> new FlakeRef("github:o/r#a", "gitlab", "a"));
    assertEquals(FlakeRef.parse("github:o/r#a"), new FlakeRef("github:o/r#a", "github", "a"));
  }
}
