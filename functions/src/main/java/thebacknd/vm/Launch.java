package thebacknd.vm;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One VM to launch: who it is, what it runs and on what. Its tags and its user-data are both
 * derived from this one value, so they cannot disagree.
 *
 * @param attempt counts launches of the same vm_id (a relaunch under another name is a new
 *     attempt), so each RunInstances has its own idempotency token
 */
public record Launch(
    String name, String vmId, String killCode, Instant expiresAt, Workload workload, String instanceType, int attempt) {

  /** EC2's idempotency token: an SDK retry of the same attempt never launches twice. */
  public String clientToken() {
    return vmId + "-" + attempt;
  }

  /** The same VM under another name, as a new attempt. */
  public Launch renamed(String newName) {
    return new Launch(newName, vmId, killCode, expiresAt, workload, instanceType, attempt + 1);
  }

  /** The tags set at launch on the instance and its volumes (DESIGN §5). */
  public Map<String, String> tags() {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(VmTags.OURS, VmTags.OURS_VALUE);
    tags.put(VmTags.NAME, name);
    tags.put(VmTags.VM_ID, vmId);
    tags.put(VmTags.EXPIRES_AT, expiresAt.toString());
    workload.nixToplevel().ifPresent(p -> tags.put(VmTags.TOPLEVEL, p));
    workload.nixBinary().ifPresent(p -> tags.put(VmTags.BINARY, p));
    workload.nixArgs().flatMap(ProgramArgs::tagValue).ifPresent(a -> tags.put(VmTags.ARGS, a));
    return tags;
  }

  public UserData userData(LaunchSettings settings) {
    return new UserData(
        UserData.VERSION,
        vmId,
        killCode,
        name,
        workload.nixToplevel().orElse(null),
        workload.nixBinary().orElse(null),
        workload.nixArgs().orElse(null),
        settings.nixCache(),
        settings.nixTrustedKey(),
        settings.apiUrl().toString(),
        expiresAt);
  }
}
