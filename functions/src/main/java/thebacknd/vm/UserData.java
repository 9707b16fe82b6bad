package thebacknd.vm;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import thebacknd.Failure;
import thebacknd.Json;
import thebacknd.cache.UpstreamCache;

/**
 * The EC2 user-data a VM boots with (DESIGN §5, version 1). It names what to run and where to
 * fetch it, and carries the VM's own kill code; it never carries AWS credentials: the VM reads
 * the cache with its instance profile.
 *
 * @param nixArgs a program's argv after its path; null when the VM runs no program
 * @param failedKeepMinutes how long the VM stays up after it reported {@code failed}
 *     ({@code THEBACKND_FAILED_KEEP_MINUTES}), then destroys itself
 * @param nixFlake {@code FLAKEREF#ATTR} the VM builds; null unless it builds a flake
 * @param nixPackages the nixpkgs attributes of a Nix shell ({@code nix_args} is its command);
 *     null unless it runs one
 * @param nixUpstreamCaches the caches (and their keys) a build on the VM may substitute from
 *     besides {@code nix_cache}; empty when none
 */
public record UserData(
    @JsonProperty("thebacknd") int version,
    String vmId,
    String vmKillcode,
    String name,
    String nixToplevel,
    String nixBinary,
    List<String> nixArgs,
    String nixCache,
    String nixTrustedKey,
    String apiUrl,
    Instant expiresAt,
    int failedKeepMinutes,
    String nixFlake,
    List<String> nixPackages,
    List<UpstreamCache> nixUpstreamCaches) {

  public UserData {
    nixUpstreamCaches = nixUpstreamCaches == null ? List.of() : List.copyOf(nixUpstreamCaches);
  }

  public static final int VERSION = 1;
  public static final int MAX_BYTES = 16 * 1024;

  /** The user-data as EC2 gets it; 400 {@code user_data_too_large} past EC2's 16 KiB. */
  public String toJson() {
    String json = Json.write(this);
    int bytes = json.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BYTES) {
      throw Failure.badRequest(
          "user_data_too_large",
          "The VM's user-data would be " + bytes + " bytes, over EC2's " + MAX_BYTES
              + ": fewer or shorter args (control characters take 6 bytes each once escaped).");
    }
    return json;
  }
}
