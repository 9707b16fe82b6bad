package thebacknd.vm;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of our VMs as the API shows it (DESIGN §4). Built only by {@link Fleet} from instances that
 * carry {@code thebacknd=true}; absent values are {@code null} so they render as JSON nulls.
 *
 * @param shouldBeDestroyed whether {@code destroy-old} terminates it: {@code destroyReason} is set
 * @param destroyReason {@code "expired"}, {@code "failed"} or {@code "unresponsive"} ({@link DestroyReason}); null otherwise
 * @param phase what its agent reported last, or {@code "unresponsive"} ({@link DestroyReason#UNRESPONSIVE_PHASE})
 * @param exitCode the program's, once it finished (its {@code thebacknd:exit-code} tag)
 * @param lifecycle {@code "spot"} or {@code "on-demand"}, as EC2 says (its {@code InstanceLifecycle})
 * @param args a program's arguments, from its {@code thebacknd:args} tag; null when they did not
 *     fit a tag (the user-data holds them all) or the VM runs no program
 * @param owner who created it ({@code thebacknd:owner}: the caller's IAM ARN, or the local user);
 *     null when unknown (a direct Lambda invocation, a VM from before owners were recorded)
 * @param timeline when it was requested, launched or claimed, and first reported each phase
 *     ({@link Timeline}); from its lease, else what EC2 shows (its launch, its claim tag)
 * @param readyS seconds from {@code requested} to {@code running} (or {@code finished}); null until then
 * @param fromPool whether it was claimed from the warm pool
 * @param timings what its agent measured ({@link Timings}); null until it said
 */
public record Vm(
    String name,
    String vmId,
    String instanceId,
    String state,
    String instanceType,
    String nixToplevel,
    String nixBinary,
    Instant launchedAt,
    Instant expiresAt,
    boolean shouldBeDestroyed,
    String destroyReason,
    List<String> publicIps,
    String phase,
    String phaseDetail,
    Integer exitCode,
    String lifecycle,
    List<String> args,
    String owner,
    Map<String, String> timeline,
    Double readyS,
    boolean fromPool,
    Timings timings) {

  public static final String NAME_PREFIX = "thebacknd-";
  private static final Pattern NAME = Pattern.compile(NAME_PREFIX + "([1-9][0-9]{0,8})");

  public Vm {
    publicIps = List.copyOf(publicIps);
    args = args == null ? null : List.copyOf(args);
    timeline = Timeline.merged(Map.of(), timeline == null ? Map.of() : timeline);
  }

  /**
   * This VM judged again after its deadline moved to {@code deadline} (extend, a failed report):
   * the one way a changed VM is derived from one read.
   */
  Vm withDeadline(Instant deadline, Optional<DestroyReason> reason) {
    return new Vm(name, vmId, instanceId, state, instanceType, nixToplevel, nixBinary, launchedAt, deadline,
        reason.isPresent(), reason.map(DestroyReason::wire).orElse(null), publicIps, phase, phaseDetail, exitCode,
        lifecycle, args, owner, timeline, readyS, fromPool, timings);
  }

  /** This VM with what its lease knows: its timeline (the lease's stamps win), its timings, whether it came from the pool. */
  Vm withLease(Lease lease) {
    if (!lease.vmId().equals(vmId)) {
      return this;
    }
    Map<String, String> stamps = Timeline.merged(timeline, lease.timeline());
    return new Vm(name, vmId, instanceId, state, instanceType, nixToplevel, nixBinary, launchedAt, expiresAt,
        shouldBeDestroyed, destroyReason, publicIps, phase, phaseDetail, exitCode, lifecycle, args, owner,
        stamps, Timeline.readySeconds(stamps), fromPool || lease.fromPool(), lease.timings().orElse(timings));
  }

  /** This pooled VM as a create claimed it: its workload, owner, deadline and the claim's stamps. */
  Vm claimedAs(Workload workload, Optional<String> claimOwner, Instant deadline, Map<String, String> claimStamps) {
    Map<String, String> stamps = Timeline.merged(timeline, claimStamps);
    return new Vm(name, vmId, instanceId, state, instanceType, workload.nixToplevel().orElse(null),
        workload.nixBinary().orElse(null), launchedAt, deadline, false, null, publicIps, phase, phaseDetail, exitCode,
        lifecycle, workload.nixArgs().orElse(null), claimOwner.map(VmTags::fitted).orElse(null), stamps,
        Timeline.readySeconds(stamps), true, timings);
  }

  /**
   * Since when its lifetime and boot timeout count: its claim for a VM from the pool (timeline
   * {@code claimed}), else its launch.
   */
  Instant since() {
    return Timeline.at(timeline, Timeline.CLAIMED).orElse(launchedAt);
  }

  /**
   * A VM its lease records as launched while DescribeInstances does not show it yet (EC2 shows a
   * new instance late): {@code pending}, with what the lease knows and nulls for the rest.
   */
  static Vm unseen(Lease lease, String instanceId, Instant expiresAt) {
    return new Vm(lease.name(), lease.vmId(), instanceId, "pending", null, null, null, lease.claimedAt(), expiresAt,
        false, null, List.of(), null, null, null, null, null, null, Map.of(), null, false, null).withLease(lease);
  }

  public static String nameFor(int number) {
    return NAME_PREFIX + number;
  }

  /** N of a {@code thebacknd-N} name, or empty when the name is missing or not ours. */
  public static Optional<Integer> numberOf(String name) {
    if (name == null) {
      return Optional.empty();
    }
    Matcher m = NAME.matcher(name);
    return m.matches() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
  }

  Optional<Integer> number() {
    return numberOf(name);
  }
}
