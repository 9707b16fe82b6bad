package thebacknd.vm;

import java.time.Instant;
import java.util.List;
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
 * @param nixFlake the flake it builds, from its {@code thebacknd:flake} tag; null when it builds
 *     none or the reference did not fit a tag (the user-data holds it)
 * @param nixPackages a Nix shell's packages, from its {@code thebacknd:packages} tag; null as
 *     {@code nixFlake}
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
    String nixFlake,
    List<String> nixPackages) {

  public static final String NAME_PREFIX = "thebacknd-";
  private static final Pattern NAME = Pattern.compile(NAME_PREFIX + "([1-9][0-9]{0,8})");

  public Vm {
    publicIps = List.copyOf(publicIps);
    args = args == null ? null : List.copyOf(args);
    nixPackages = nixPackages == null ? null : List.copyOf(nixPackages);
  }

  /**
   * This VM judged again after its deadline moved to {@code deadline} (extend, a failed report):
   * the one way a changed VM is derived from one read.
   */
  Vm withDeadline(Instant deadline, Optional<DestroyReason> reason) {
    return new Vm(name, vmId, instanceId, state, instanceType, nixToplevel, nixBinary, launchedAt, deadline,
        reason.isPresent(), reason.map(DestroyReason::wire).orElse(null), publicIps, phase, phaseDetail, exitCode,
        lifecycle, args, owner, nixFlake, nixPackages);
  }

  /**
   * A VM its lease records as launched while DescribeInstances does not show it yet (EC2 shows a
   * new instance late): {@code pending}, with what the lease knows and nulls for the rest.
   */
  static Vm unseen(Lease lease, String instanceId, Instant expiresAt) {
    return new Vm(lease.name(), lease.vmId(), instanceId, "pending", null, null, null, lease.claimedAt(), expiresAt,
        false, null, List.of(), null, null, null, null, null, null, null, null);
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
