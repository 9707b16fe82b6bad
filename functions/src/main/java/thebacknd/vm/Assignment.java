package thebacknd.vm;

import java.time.Instant;
import java.util.List;
import thebacknd.Json;

/**
 * What a claimed pooled VM is to run, as {@code POST /claim} gives it to its agent: its name, its
 * workload and its deadline (the claim + TTL). The cache and trusted key are never in it: a VM
 * takes those from its user-data only. {@code nixFlake} and {@code nixPackages} are null unless
 * the workload is a build on the VM.
 */
public record Assignment(
    String name,
    String nixToplevel,
    String nixBinary,
    List<String> nixArgs,
    Instant expiresAt,
    String nixFlake,
    List<String> nixPackages) {

  static Assignment of(String name, Workload workload, Instant expiresAt) {
    return new Assignment(
        name,
        workload.nixToplevel().orElse(null),
        workload.nixBinary().orElse(null),
        workload.nixArgs().orElse(null),
        expiresAt,
        null,
        null);
  }

  String toJson() {
    return Json.write(this);
  }

  static Assignment fromJson(String json) {
    try {
      return Json.MAPPER.readValue(json, Assignment.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("a lease holds a malformed assignment", e);
    }
  }
}
