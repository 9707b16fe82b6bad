package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import thebacknd.Failure;
import thebacknd.Json;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.StorePath;
import thebacknd.config.Config;
import thebacknd.config.ConfigException;

/**
 * Fuzzes the user-data a VM boots with (DESIGN §5): from any configuration the start-up checks
 * accept and any path a create accepts, {@link Launch#userData} gives JSON that, as the UTF-8
 * bytes EC2 carries, reads back to the same values and fits in 16 KiB, or is refused as too large (400).
 *
 * <p>An input is four lines: the path to run (a toplevel if it is a store path, a program if it is
 * a path inside one, a flake build or a Nix shell, else the base image), {@code NIX_CACHE}, {@code NIX_TRUSTED_KEY} and {@code
 * THEBACKND_API_URL}. The vm_id and the deadline derive from the input, so a replay is exact.
 */
class UserDataFuzzTest {

  private static final String SECRET = "fuzz-secret-0123456789abcdef";

  @FuzzTest
  void userData(byte[] input) throws IOException {
    String[] lines = Arrays.copyOf(new String(input, StandardCharsets.UTF_8).split("\n", 4), 4);
    Map<String, String> env = Map.of(
        "THEBACKND_SECRET", SECRET,
        "THEBACKND_IMAGE_ID", "ami-0123456789abcdef0",
        "NIX_CACHE", String.valueOf(lines[1]),
        "NIX_TRUSTED_KEY", String.valueOf(lines[2]),
        "THEBACKND_API_URL", String.valueOf(lines[3]));
    LaunchSettings settings;
    try {
      settings = LaunchSettings.from(Config.fromEnvironment(env));
    } catch (ConfigException refusedAtStartUp) {
      return;
    }
    String vmId = UUID.nameUUIDFromBytes(input).toString();
    Instant expiresAt = Instant.ofEpochSecond(1_700_000_000L + Arrays.hashCode(input));
    Launch launch = new Launch("thebacknd-" + (1 + input.length), vmId, new KillCodes(() -> List.of(SECRET)).codeFor(vmId),
        expiresAt, workload(lines[0]), "t3.micro", false, java.util.Optional.empty(), 1);
    UserData userData = launch.userData(settings);
    String json;
    try {
      json = userData.toJson();
    } catch (Failure tooLarge) {
      assertEquals(400, tooLarge.status(), tooLarge.getMessage());
      assertEquals("user_data_too_large", tooLarge.code());
      assertTrue(Json.write(userData).getBytes(StandardCharsets.UTF_8).length > UserData.MAX_BYTES, tooLarge.getMessage());
      return;
    }
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    assertTrue(bytes.length <= UserData.MAX_BYTES);
    assertEquals(userData, Json.MAPPER.readValue(bytes, UserData.class), json);
    JsonNode tree = Json.MAPPER.readTree(bytes);
    assertEquals(UserData.VERSION, tree.path("thebacknd").intValue());
    assertEquals(expiresAt.toString(), tree.path("expires_at").textValue());
  }

  /**
   * A flake reference, or {@code +} and comma-separated packages, then the arguments (for
   * packages, the command first); else the base image.
   */
  private static Workload builtOnTheVm(List<String> words) {
    List<String> args = words.subList(1, words.size());
    try {
      if (words.get(0).startsWith("+")) {
        return new Workload.Shell(NixPackages.parse(List.of(words.get(0).substring(1).split(",", -1))), ProgramArgs.checked(args));
      }
      return new Workload.FlakeBuild(FlakeRef.parse(words.get(0)), ProgramArgs.checked(args));
    } catch (IllegalArgumentException refused) {
      return new Workload.BaseImage();
    } catch (Failure refusedArgs) {
      assertEquals(400, refusedArgs.status(), refusedArgs.getMessage());
      return new Workload.BaseImage();
    }
  }

  /**
   * The first line: a path, then (for a program) its arguments, separated by tabs; or a flake
   * reference or packages ({@link #builtOnTheVm}).
   */
  private static Workload workload(String line) {
    List<String> words = List.of(line.split("\t", -1));
    try {
      return new Workload.Toplevel(StorePath.parse(words.get(0)));
    } catch (IllegalArgumentException notAStorePath) {
      try {
        return new Workload.Program(BinaryPath.parse(words.get(0)), ProgramArgs.checked(words.subList(1, words.size())));
      } catch (IllegalArgumentException notABinaryPath) {
        return builtOnTheVm(words);
      } catch (Failure refusedArgs) {
        assertEquals(400, refusedArgs.status(), refusedArgs.getMessage());
        return new Workload.BaseImage();
      }
    }
  }
}
