package thebacknd.vm;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Which name slots a create may claim: a pure decision over one read of the leases table and one
 * read of our instances (DESIGN §9). Slots are {@code thebacknd-1} … {@code thebacknd-MAX}; the
 * slots are the cap, so the cap is exact however many creates race, because each claim is a
 * conditional write on what this decision saw ({@link Leases#claim}).
 *
 * <p>EC2's DescribeInstances is eventually consistent: a new instance may be missing from it for
 * a few seconds. So a lease is never taken from a VM that may exist unseen. A lease is stale only
 * when its VM is seen gone ({@code shutting-down}, {@code terminated}), or when nothing of it has
 * been seen live for {@link #LAUNCH_GRACE} since the claim, far beyond any visibility lag and any
 * create's running time. A live VM of ours seen with a slot's name holds that slot even without a
 * lease (one launched before leases existed): that only ever makes a create more careful.
 */
final class Slots {

  /** How long a claim may go without its VM being seen before the slot can be reclaimed. */
  static final Duration LAUNCH_GRACE = Duration.ofMinutes(5);

  /** What one slot is for a create, in slot order. */
  sealed interface Slot {
    String name();
  }

  /** No lease and no live VM with this name: claim it if no lease appears meanwhile. */
  record Free(String name) implements Slot {}

  /** The lease's VM is gone or never came: claim it if the lease is still exactly {@code stale}. */
  record Reclaimable(String name, Lease stale, String why) implements Slot {}

  /**
   * Held by an unclaimed pooled VM: a cold create at the cap takes it (its lease first, then the
   * pooled VM is terminated), if the lease is still that pooled VM's and still in the pool.
   */
  record Evictable(String name, Lease pooled) implements Slot {}

  /** Taken; {@code why} is for the logs. */
  record Held(String name, String why) implements Slot {}

  /** One of our instances as DescribeInstances showed it, in any state. */
  record Seen(String instanceId, String vmId, String name, String state) {

    static Seen of(Vm vm) {
      return new Seen(vm.instanceId(), vm.vmId(), vm.name(), vm.state());
    }

    boolean live() {
      return VmTags.LIVE_STATES.contains(state);
    }
  }

  private Slots() {}

  /** Every slot, {@code thebacknd-1} to {@code thebacknd-maxVms}, as this read shows it. */
  static List<Slot> assess(Collection<Lease> leases, Collection<Seen> seen, int maxVms, Instant now) {
    Map<String, Lease> byName = leases.stream().collect(Collectors.toMap(Lease::name, Function.identity(), (a, b) -> a));
    List<Slot> slots = new ArrayList<>(maxVms);
    for (int n = 1; n <= maxVms; n++) {
      String name = Vm.nameFor(n);
      Lease lease = byName.get(name);
      Optional<Seen> liveWithName =
          seen.stream()
              .filter(Seen::live)
              .filter(s -> name.equals(s.name()))
              .filter(s -> lease == null || !lease.vmId().equals(s.vmId()))
              .findFirst();
      if (liveWithName.isPresent()) {
        slots.add(new Held(name, liveWithName.get().instanceId() + " is live with this name"));
      } else if (lease == null) {
        slots.add(new Free(name));
      } else {
        Optional<String> stale = staleness(lease, seen, now);
        slots.add(
            stale.<Slot>map(why -> new Reclaimable(name, lease, why))
                .orElseGet(() -> new Held(name, "leased to vm_id " + lease.vmId())));
      }
    }
    return slots;
  }

  /** The slots a create may try, smallest first. */
  static List<Slot> claimable(List<Slot> slots) {
    return slots.stream().filter(s -> !(s instanceof Held)).toList();
  }

  /** Why the lease's VM is surely gone or never came, or empty while it may exist. */
  static Optional<String> staleness(Lease lease, Collection<Seen> seen, Instant now) {
    List<Seen> ofVm = seen.stream().filter(s -> lease.vmId().equals(s.vmId())).toList();
    if (ofVm.stream().anyMatch(Seen::live)) {
      return Optional.empty();
    }
    boolean old = now.isAfter(lease.claimedAt().plus(LAUNCH_GRACE));
    if (lease.instanceId().isPresent()) {
      String id = lease.instanceId().get();
      Optional<Seen> instance = seen.stream().filter(s -> id.equals(s.instanceId())).findFirst();
      if (instance.isPresent()) {
        return instance.get().live() ? Optional.empty() : Optional.of("its instance " + id + " is " + instance.get().state());
      }
      return old ? Optional.of("its instance " + id + " is not found") : Optional.empty();
    }
    if (!ofVm.isEmpty()) {
      return Optional.of("its instance " + ofVm.get(0).instanceId() + " is " + ofVm.get(0).state());
    }
    return old ? Optional.of("nothing was launched for it within " + LAUNCH_GRACE.toMinutes() + " minutes") : Optional.empty();
  }
}
