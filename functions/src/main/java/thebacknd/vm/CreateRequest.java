package thebacknd.vm;

import java.util.List;
import java.util.Optional;

/**
 * A create as the caller asked for it, parsed: what to run, on what and how long, and who asks.
 *
 * @param instanceTypes the types in order of preference; empty for the default type
 * @param spot spot capacity first (DESIGN §9)
 * @param owner the caller as the request's transport knows it (never from the body)
 */
public record CreateRequest(
    Workload workload, List<String> instanceTypes, boolean spot, Optional<Integer> ttlMinutes, Optional<String> owner) {

  public CreateRequest {
    instanceTypes = List.copyOf(instanceTypes);
  }
}
