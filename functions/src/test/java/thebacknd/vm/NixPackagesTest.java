package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A Nix shell's packages: 1 to 32 nixpkgs attribute paths. */
class NixPackagesTest {

  @Test
  void acceptsAttributePaths() {
    List<String> names = List.of("python3", "jq", "python3Packages.numpy", "gst_all_1.gstreamer", "gtk+3", "nodejs-18_x", "7zz");
    NixPackages packages = NixPackages.parse(names);
    assertEquals(names, packages.names());
    assertEquals("python3 jq python3Packages.numpy gst_all_1.gstreamer gtk+3 nodejs-18_x 7zz", packages.joined());
  }

  @Test
  void takesOneToThirtyTwo() {
    assertThrows(IllegalArgumentException.class, () -> NixPackages.parse(List.of()));
    List<String> most = Collections.nCopies(NixPackages.MAX_COUNT, "jq");
    assertEquals(most, NixPackages.parse(most).names());
    List<String> tooMany = new ArrayList<>(most);
    tooMany.add("jq");
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> NixPackages.parse(tooMany));
    assertEquals("it names 33 packages, more than 32", refused.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "-jq", "jq.-x", ".jq", "jq.", "a..b", "nixpkgs#jq", "github:o/r#x", "/nix/store/x", "../x", "a b", "a\tb",
      "a\n", "\"quoted\"", "a/b", "a:b", "caf\u00e9", "a;rm", "$(id)", "a*", "x'y",
  })
  void refusesWhatIsNoAttribute(String name) {
    assertThrows(IllegalArgumentException.class, () -> NixPackages.parse(List.of("jq", name)));
  }

  @Test
  void refusesANullAndAVeryLongName() {
    assertThrows(IllegalArgumentException.class, () -> NixPackages.parse(Arrays.asList("jq", null)));
    assertEquals(1, NixPackages.parse(List.of("a".repeat(NixPackages.MAX_NAME_LENGTH))).names().size());
    assertThrows(IllegalArgumentException.class, () -> NixPackages.parse(List.of("a".repeat(NixPackages.MAX_NAME_LENGTH + 1))));
  }
}
