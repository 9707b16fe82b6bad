package thebacknd.vm;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One VM to launch: who it is, what it runs and on what. Its tags and its user-data are both
 * derived from this one value, so they cannot disagree.
 *
 * @param spot on spot capacity (a one-time request, terminated on interruption), else on demand
 * @param owner who asked for it ({@link VmTags#OWNER}), as the request's transport knows the caller
 * @param attempt counts the RunInstances tries for this vm_id (another instance type or market is
 *     another try), so each has its own idempotency token
 */
public record Launch(
    String name,
    String vmId,
    String killCode,
    Instant expiresAt,
    Workload workload,
    String instanceType,
    boolean spot,
    Optional<String> owner,
    int attempt) {

  /** EC2's idempotency token: an SDK retry of the same attempt never launches twice. */
  public String clientToken() {
    return vmId + "-" + attempt;
  }

  /** The same launch under the name its lease holds. */
  public Launch named(String leasedName) {
    return new Launch(leasedName, vmId, killCode, expiresAt, workload, instanceType, spot, owner, attempt);
  }

  /** The same VM on another type or market, as the next try. */
  public Launch on(Capacity.Option option) {
    return new Launch(name, vmId, killCode, expiresAt, workload, option.instanceType(), option.spot(), owner, attempt + 1);
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
    workload.nixFlake().map(FlakeRef::text).filter(VmTags::fits).ifPresent(f -> tags.put(VmTags.FLAKE, f));
    workload.nixPackages().map(NixPackages::joined).filter(VmTags::fits).ifPresent(p -> tags.put(VmTags.PACKAGES, p));
    owner.ifPresent(o -> tags.put(VmTags.OWNER, VmTags.fitted(o)));
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
        expiresAt,
        settings.failedKeepMinutes(),
        workload.nixFlake().map(FlakeRef::text).orElse(null),
        workload.nixPackages().map(NixPackages::names).orElse(null),
        settings.upstreamCaches());
  }
}
