package thebacknd.vm;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import thebacknd.Json;

/**
 * The EC2 user-data a VM boots with (DESIGN §5, version 1). It names what to run and where to
 * fetch it, and carries the VM's own kill code; it never carries AWS credentials: the VM reads
 * the cache with its instance profile.
 *
 * @param nixArgs a program's argv after its path (DESIGN §9); null when the VM runs no program
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
    Instant expiresAt) {

  public static final int VERSION = 1;
  public static final int MAX_BYTES = 16 * 1024;

  public String toJson() {
    String json = Json.write(this);
    if (json.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw new IllegalStateException("user-data exceeds " + MAX_BYTES + " bytes");
    }
    return json;
  }
}
