package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzzes a Nix shell's package list (one name a line): refused with an IllegalArgumentException
 * (one line), or accepted as 1 to 32 nixpkgs attribute paths that the {@code thebacknd:packages}
 * tag's space-joined text gives back exactly.
 */
class NixPackagesFuzzTest {

  @FuzzTest
  void parse(byte[] input) {
    List<String> names = List.of(new String(input, StandardCharsets.UTF_8).split("\n", -1));
    NixPackages packages;
    try {
      packages = NixPackages.parse(names);
    } catch (IllegalArgumentException refused) {
      assertEquals(1, refused.getMessage().lines().count(), refused.getMessage());
      return;
    }
    assertEquals(names, packages.names());
    assertTrue(names.size() >= 1 && names.size() <= NixPackages.MAX_COUNT);
    for (String name : names) {
      assertTrue(name.length() <= NixPackages.MAX_NAME_LENGTH);
      assertTrue(name.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 127 || "_+-.".indexOf(c) >= 0), name);
      assertFalse(name.startsWith("-") || name.startsWith(".") || name.endsWith(".") || name.contains("..") || name.contains(".-"), name);
    }
    assertEquals(names, List.of(packages.joined().split(" ")));
  }
}
