package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import thebacknd.cache.StorePathTest.PathRow;

class BinaryPathTest {

  static final String STORE_PATH = "/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-hello-2.12";

  @Test
  void aProgramInsideAStorePath() {
    BinaryPath binary = BinaryPath.parse(STORE_PATH + "/bin/hello");
    assertEquals(StorePath.parse(STORE_PATH), binary.storePath());
    assertEquals("bin/hello", binary.inside());
    assertEquals(STORE_PATH + "/bin/hello", binary.toString());
  }

  @Test
  void aWholeStorePathIsAProgramToo() {
    BinaryPath binary = BinaryPath.parse(STORE_PATH);
    assertEquals("", binary.inside());
    assertEquals(STORE_PATH, binary.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"bin/hello", "libexec/x-1.0/run_me+", "a/b/c/d", "bin/...", "bin/.hidden", "bin/x@y=z?"})
  void acceptsNormalisedPaths(String inside) {
    assertEquals(inside, BinaryPath.parse(STORE_PATH + "/" + inside).inside());
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/../etc/passwd", "/..", "/.", "/bin/./hello", "//bin/hello", "/bin//hello", "/bin/hello/", "/"})
  void rejectsPathsThatAreNotNormalised(String suffix) {
    assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse(STORE_PATH + suffix));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/hel lo", "/bin/hello;rm", "/bin/$(x)", "/bin/a\nb", "/bin/é", "/bin/a:b", "/bin/a\\b"})
  void rejectsCharactersOutsideTheSafeSet(String suffix) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse(STORE_PATH + suffix));
    assertTrue(e.getMessage().contains("may only contain"), e.getMessage());
  }

  @Test
  void theStorePartIsValidatedStrictly() {
    assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse("/nix/store/tooshort-hello/bin/hello"));
    assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse("/usr/bin/hello"));
    assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse("/nix/store/"));
    assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse("/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-.x/bin/y"));
    assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse(null));
    assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse(""));
  }

  @Test
  void atMost255CharactersToFitAnEc2Tag() {
    String inside = "b".repeat(BinaryPath.MAX_LENGTH - STORE_PATH.length() - 1);
    assertEquals(BinaryPath.MAX_LENGTH, BinaryPath.parse(STORE_PATH + "/" + inside).toString().length());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse(STORE_PATH + "/" + inside + "b"));
    assertTrue(e.getMessage().contains("at most 255"), e.getMessage());
  }

  @Test
  void theConstructorValidatesToo() {
    StorePath store = StorePath.parse(STORE_PATH);
    assertThrows(IllegalArgumentException.class, () -> new BinaryPath(store, "../x"));
    assertThrows(IllegalArgumentException.class, () -> new BinaryPath(store, "/bin/x"));
    assertThrows(IllegalArgumentException.class, () -> new BinaryPath(store, null));
    assertThrows(IllegalArgumentException.class, () -> new BinaryPath(null, "bin/x"));
  }

  static Stream<PathRow> binaryRows() {
    return StorePathTest.sharedTable("binary");
  }

  /** testdata/store-paths.tsv: the agent checks the same rows with its own code (nixos-image/tests/run). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("binaryRows")
  void agreesWithTheTableTheAgentIsTestedWith(PathRow row) {
    if (row.valid()) {
      assertEquals(row.path(), BinaryPath.parse(row.path()).toString());
    } else {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BinaryPath.parse(row.path()));
      assertTrue(e.getMessage().contains(row.reason()), e.getMessage());
    }
  }
}
