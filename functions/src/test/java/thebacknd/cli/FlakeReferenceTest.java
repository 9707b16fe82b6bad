package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How run reads a word (store path, flake reference), and the flake references it accepts. */
class FlakeReferenceTest {

  @TempDir Path dir;

  @Test
  void aWordIsAStorePathWhenItIsOrLeadsIntoTheStoreElseAFlakeWhenItHasAHash() throws Exception {
    assertEquals(new RunTarget.StorePathWord("/nix/store/abc#x"), RunTarget.of("/nix/store/abc#x"));
    assertEquals(new RunTarget.Flake(".#web"), RunTarget.of(".#web"));
    assertEquals(new RunTarget.Flake("github:o/r#web"), RunTarget.of("github:o/r#web"));
    assertEquals(new RunTarget.StorePathWord("./result"), RunTarget.of("./result"), "no # and not in the store: the parser says why");
    Path store = Files.list(Path.of("/nix/store")).filter(Files::isDirectory).findFirst().orElseThrow();
    Path link = Files.createSymbolicLink(dir.resolve("odd#name"), store);
    assertEquals(new RunTarget.StorePathWord(store.toString()), RunTarget.of(link.toString()), "a symlink into the store wins over a #");
  }

  @Test
  void referencesBuiltHereMayBeAnythingNixTakes() {
    for (String ref : List.of(".#web", "./sub#packages.x86_64-linux.greet", "path:/srv/flake#x", "git+file:///srv/repo#x",
        "nixpkgs#hello", "github:owner/repo#nixosConfigurations.web")) {
      FlakeReference parsed = FlakeReference.parse(ref, false);
      assertEquals(ref, parsed.toString());
    }
  }

  @Test
  void referencesBuiltOnTheVmAreOnesItCanFetch() {
    for (String ref : List.of("github:owner/repo#web", "github:owner/repo/v1.2?dir=sub#prog", "gitlab:group/project#x",
        "sourcehut:~user/repo#x", "git+https://example.org/repo?ref=main#prog", "git+ssh://git@example.org/repo#x",
        "https://example.org/flake.tar.gz#x", "git+http://127.0.0.1:8080/repo.git#x", "git+http://localhost/repo#x")) {
      assertEquals(ref, FlakeReference.parse(ref, true).toString());
    }
  }

  @Test
  void malformedReferencesAreRefusedWithAReason() {
    assertRefused("web", false, "one #");
    assertRefused(".#a#b", false, "one #");
    assertRefused("#web", false, "nothing before the #");
    assertRefused(".#", false, "no attribute after the #");
    assertRefused(".#a..b", false, "not an attribute path");
    assertRefused(".#a.", false, "not an attribute path");
    assertRefused(". #web", false, "whitespace");
    assertRefused(".#we\u0007b", false, "control character");
    assertRefused(".#we\u00a0b", false, "whitespace");
    assertRefused("github:o/r#" + "a".repeat(1100), false, "longer than 1024 bytes");
  }

  /** With --on-vm, the service's own grammar (vm/FlakeRef), after a plainer word for a path on this machine. */
  @Test
  void theVmCannotFetchWhatIsOnThisMachineNorAnyOtherScheme() {
    assertRefused(".#web", true, "is on this machine");
    assertRefused("/srv/flake#web", true, "is on this machine");
    assertRefused("path:/srv/flake#web", true, "is on this machine");
    assertRefused("file:///srv/flake.tar.gz#web", true, "is on this machine");
    assertRefused("git+file:///srv/repo#web", true, "is on this machine");
    assertRefused("nixpkgs#hello", true, "registry names like nixpkgs are refused");
    assertRefused("http://example.org/f.tar.gz#x", true, "the scheme http: is not one of");
    assertRefused("git+http://example.org/repo#x", true, "loopback hosts only");
    assertRefused("git+http://127.0.0.1.example.org/repo#x", true, "loopback hosts only");
    assertRefused("git+https://user:secret@example.org/repo#x", true, "no user name or password");
    assertRefused("git+https:///repo#x", true, "needs a host name");
    assertRefused("github:owner#x", true, "takes OWNER/REPO");
    assertRefused("github:owner/repo;rm#x", true, "takes OWNER/REPO");
    assertRefused("github:o/r?dir=caf\u00e9#x", true, "non-ASCII");
  }

  @Test
  void aNixosSystemIsBuiltAsItsToplevel() {
    FlakeReference system = FlakeReference.parse("github:o/r#nixosConfigurations.web", true);
    assertTrue(system.isSystem());
    assertEquals("github:o/r#nixosConfigurations.web.config.system.build.toplevel", system.installable());
    FlakeReference already = FlakeReference.parse(".#nixosConfigurations.web.config.system.build.toplevel", false);
    assertEquals(".#nixosConfigurations.web.config.system.build.toplevel", already.installable());
    FlakeReference program = FlakeReference.parse(".#greet", false);
    assertEquals(false, program.isSystem());
    assertEquals(".#greet", program.installable());
  }

  private static void assertRefused(String ref, boolean onVm, String reason) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlakeReference.parse(ref, onVm), ref);
    assertTrue(e.getMessage().contains(reason), ref + ": " + e.getMessage());
  }
}
