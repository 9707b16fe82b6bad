package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class StorePathTest {

  static final String HASH = "8klzi2nf5davbh9n2ddf842y4l512ld9";

  @Test
  void parsesHashAndName() {
    StorePath path = StorePath.parse("/nix/store/" + HASH + "-top_v1.2+x");
    assertEquals(HASH, path.hashPart());
    assertEquals("top_v1.2+x", path.name());
    assertEquals(HASH + "-top_v1.2+x", path.baseName());
    assertEquals(HASH + ".narinfo", path.narinfoName());
    assertEquals("/nix/store/" + HASH + "-top_v1.2+x", path.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "hello-2.12.1", "nixos-system-unnamed-23.05pre-git", "A-Z_0.9+x?y=z", "-starts-with-dash", "a..b", "x."})
  void acceptsEveryNameCharacterNixAllows(String name) {
    StorePath path = StorePath.parse("/nix/store/" + HASH + "-" + name);
    assertEquals(name, path.name());
    assertEquals(path, StorePath.parse(path.toString()));
  }

  @Test
  void nameIsAtMost211Characters() {
    String longest = "n".repeat(211);
    assertEquals(longest, StorePath.parse("/nix/store/" + HASH + "-" + longest).name());
    assertRejected("/nix/store/" + HASH + "-" + longest + "n", "at most 211");
  }

  @Test
  void hashIsNixBase32WithoutEOUT() {
    for (char forbidden : new char[] {'e', 'o', 'u', 't', 'E', 'A', '-', '_', '/'}) {
      String hash = forbidden + HASH.substring(1);
      assertRejected("/nix/store/" + hash + "-name", "base32");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld-name",  // 31 characters of hash
    "/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9x-name", // 33
    "/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9",       // no name
    "/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-",      // empty name
    "/nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9_name",  // '_' instead of '-'
  })
  void rejectsBadShapes(String path) {
    assertThrows(IllegalArgumentException.class, () -> StorePath.parse(path));
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-name",
    "/nix/store8klzi2nf5davbh9n2ddf842y4l512ld9-name",
    "/gnu/store/8klzi2nf5davbh9n2ddf842y4l512ld9-name",
    " /nix/store/8klzi2nf5davbh9n2ddf842y4l512ld9-name",
    "/nix/store/../store/8klzi2nf5davbh9n2ddf842y4l512ld9-name",
    "",
  })
  void mustStartWithTheStoreDirectory(String path) {
    assertThrows(IllegalArgumentException.class, () -> StorePath.parse(path));
  }

  @Test
  void nameMustNotStartWithADot() {
    assertRejected("/nix/store/" + HASH + "-.hidden", "must not start with '.'");
    assertRejected("/nix/store/" + HASH + "-.", "must not start with '.'");
    assertRejected("/nix/store/" + HASH + "-..", "must not start with '.'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a b", "a/b", "a:b", "a;b", "a,b", "a\nb", "name\n", "é", "a$b", "a'b", "a@b", "a~b", "a*b"})
  void rejectsCharactersNixRejects(String name) {
    assertRejected("/nix/store/" + HASH + "-" + name, "may only contain");
  }

  @Test
  void aPathInsideAStorePathIsNotAStorePath() {
    assertRejected("/nix/store/" + HASH + "-hello/bin/hello", "may only contain");
    assertRejected("/nix/store/" + HASH + "-hello/", "may only contain");
  }

  @Test
  void nullIsRejectedWithAMessage() {
    assertRejected(null, "required");
  }

  @Test
  void parseBaseNameReadsNarinfoReferences() {
    StorePath path = StorePath.parseBaseName(HASH + "-dep+lib_1.0");
    assertEquals("dep+lib_1.0", path.name());
    assertThrows(IllegalArgumentException.class, () -> StorePath.parseBaseName("/nix/store/" + HASH + "-x"));
    assertThrows(IllegalArgumentException.class, () -> StorePath.parseBaseName(HASH + "-x/../y"));
    assertThrows(IllegalArgumentException.class, () -> StorePath.parseBaseName(""));
  }

  @Test
  void theConstructorValidatesToo() {
    assertThrows(IllegalArgumentException.class, () -> new StorePath("short", "name"));
    assertThrows(IllegalArgumentException.class, () -> new StorePath(HASH, ".dot"));
    assertThrows(IllegalArgumentException.class, () -> new StorePath(null, "name"));
    assertThrows(IllegalArgumentException.class, () -> new StorePath(HASH, null));
  }

  @Test
  void equalityIsByValue() {
    assertEquals(StorePath.parse("/nix/store/" + HASH + "-a"), new StorePath(HASH, "a"));
    assertNotEquals(StorePath.parse("/nix/store/" + HASH + "-a"), new StorePath(HASH, "b"));
  }

  static Stream<PathRow> storeRows() {
    return sharedTable("store");
  }

  /** The agent checks the same rows with its own code (nixos-image/tests/run). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("storeRows")
  void agreesWithTheTableTheAgentIsTestedWith(PathRow row) {
    if (row.valid()) {
      assertEquals(row.path(), StorePath.parse(row.path()).toString());
    } else {
      assertRejected(row.path(), row.reason());
    }
  }

  /**
   * A row of {@code testdata/store-paths.tsv}: the store-path and binary-path rules as one table
   * that these tests and the VM agent's tests both read, so the two implementations cannot drift.
   */
  record PathRow(int line, String kind, boolean valid, String path, String reason) {
    @Override
    public String toString() {
      String shown = path.length() <= 72 ? path : path.substring(0, 60) + "…(" + path.length() + " chars)";
      return "line " + line + ": " + (valid ? "valid" : "invalid") + " [" + shown + "]";
    }
  }

  /** The rows of one kind ({@code store} or {@code binary}); a malformed row fails the test. */
  static Stream<PathRow> sharedTable(String kind) {
    List<String> lines;
    try {
      lines = Files.readAllLines(sharedTableFile(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<PathRow> rows = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] columns = line.split("\t", -1);
      boolean shaped = columns.length == 3 || columns.length == 4;
      String verdict = shaped ? columns[1] : "";
      boolean valid = verdict.equals("valid");
      boolean reasonGiven = columns.length == 4 && !columns[3].isEmpty();
      if (!shaped
          || !(columns[0].equals("store") || columns[0].equals("binary"))
          || !(valid || verdict.equals("invalid"))
          || columns[2].isEmpty()
          || valid == reasonGiven) {
        throw new IllegalStateException("store-paths.tsv line " + (i + 1) + " is not KIND, VERDICT, PATH[, REASON]: " + line);
      }
      if (columns[0].equals(kind)) {
        rows.add(new PathRow(i + 1, kind, valid, columns[2], reasonGiven ? columns[3] : null));
      }
    }
    return rows.stream();
  }

  /** testdata/ at the repository root, found from wherever Maven runs the tests. */
  private static Path sharedTableFile() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("testdata/store-paths.tsv");
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("testdata/store-paths.tsv not found above " + Path.of("").toAbsolutePath());
  }

  private static void assertRejected(String path, String messagePart) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StorePath.parse(path));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }
}
