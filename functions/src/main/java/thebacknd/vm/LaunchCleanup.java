package thebacknd.vm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import thebacknd.Failure;
import thebacknd.Log;

/**
 * What a create does about an instance it launched and will not answer 201 for: the launch it
 * withdraws (its name was reclaimed meanwhile), and the launch whose answer was lost (a 5xx or a
 * timeout through every retry of RunInstances). Within the create's time budget ({@link
 * thebacknd.aws.Retries}).
 */
final class LaunchCleanup {

  /** Pauses before each look for a launch whose answer was lost: EC2 shows a new instance late. */
  static final List<Duration> LOOKS = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2));
  /**
   * No look starts later into a create: a look (6 s) and a withdrawal (6 s), quick EC2 calls
   * both, still end before the function's 29 s.
   */
  static final Duration LOOK_BY = Duration.ofSeconds(17);

  private final Fleet fleet;
  private final Clock clock;

  LaunchCleanup(Fleet fleet, Clock clock) {
    this.fleet = fleet;
    this.clock = clock;
  }

  /** Terminates a VM just launched; when that fails, destroy-all and its deadline still end it. */
  void withdraw(Vm vm) {
    withdrawn(List.of(vm), vm.name());
  }

  /**
   * After a RunInstances that may have launched: looks for the instance by its vm_id tag (a few
   * times, briefly) and terminates it, then frees the name. What EC2 does not show in time keeps
   * its lease, so the cap still counts it, and ends at its deadline (its agent, destroy-old) like
   * every VM. EC2's ClientToken makes at most one instance of the last try.
   */
  void afterLostAnswer(Leases leases, Lease lease, Instant createStarted) {
    for (Duration pause : LOOKS) {
      if (Duration.between(createStarted, clock.instant()).plus(pause).compareTo(LOOK_BY) > 0) {
        break;
      }
      if (!sleep(pause)) {
        break;
      }
      List<Vm> launched;
      try {
        launched = fleet.launchedAs(lease.vmId(), clock.instant());
      } catch (Failure unseen) {
        Log.warn("could not look for what RunInstances launched for vm_id " + lease.vmId() + ": " + unseen.getMessage());
        continue;
      }
      if (!launched.isEmpty()) {
        if (withdrawn(launched, "vm_id " + lease.vmId() + ", its RunInstances answer lost")) {
          Log.warn("withdrew " + ids(launched) + ": launched for vm_id " + lease.vmId() + " by a RunInstances whose answer was lost");
          VmService.releaseQuietly(leases, lease.name(), lease.vmId());
        }
        return;
      }
    }
    Log.warn("RunInstances for vm_id " + lease.vmId() + " ended uncertain and nothing of it is seen yet; keeping the lease of " + lease.name());
  }

  /** Whether the VMs were terminated; a failure is logged (destroy-all and deadlines remain). */
  private boolean withdrawn(List<Vm> vms, String what) {
    try {
      fleet.withdraw(vms);
      return true;
    } catch (Failure failed) {
      Log.error("could not withdraw " + ids(vms) + " (" + what + "): " + failed.getMessage(), failed);
      return false;
    }
  }

  private static List<String> ids(List<Vm> vms) {
    return vms.stream().map(Vm::instanceId).toList();
  }

  private static boolean sleep(Duration pause) {
    try {
      Thread.sleep(pause.toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
