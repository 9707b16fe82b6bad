package thebacknd.vm;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * One read of the leases table and one of our instances (any state), taken together: what a
 * create or a pool top-up decides on. Pure decisions over that read; every write acting on one is
 * conditional on what it saw ({@link Leases}).
 */
record Look(List<Lease> held, List<Vm> ours, int maxVms, Instant at) {

  /** An unclaimed pooled VM as this read shows it: its lease and its live instance. */
  record Pooled(Lease lease, Vm vm) {}

  Look {
    held = List.copyOf(held);
    ours = List.copyOf(ours);
  }

  List<Slots.Slot> slots() {
    return Slots.assess(held, ours.stream().map(Slots.Seen::of).toList(), maxVms, at);
  }

  /** The slots a create may try, smallest first. */
  List<Slots.Slot> claimable() {
    return Slots.claimable(slots());
  }

  /** The live instance of a vm_id, if this read shows one. */
  Optional<Vm> liveOf(String vmId) {
    return ours.stream().filter(vm -> vmId.equals(vm.vmId()) && VmTags.LIVE_STATES.contains(vm.state())).findFirst();
  }

  /**
   * The unclaimed pooled VMs that hold a slot: each one's lease, whether or not EC2 shows it yet
   * (one launched a moment ago counts, so a top-up never launches it twice); those seen gone do not.
   */
  List<Lease> unclaimedPooled() {
    List<Slots.Seen> seen = ours.stream().map(Slots.Seen::of).toList();
    return held.stream()
        .filter(Lease::unclaimedPooled)
        .filter(lease -> Vm.numberOf(lease.name()).filter(n -> n <= maxVms).isPresent())
        .filter(lease -> Slots.staleness(lease, seen, at).isEmpty())
        .sorted(Comparator.comparing((Lease lease) -> Vm.numberOf(lease.name()).orElse(Integer.MAX_VALUE)))
        .toList();
  }

  /** The pooled VMs of {@code poolKey} a create may claim now: reported {@code pooled}, live, smallest name first. */
  List<Pooled> readyInPool(String poolKey) {
    return unclaimedPooled().stream()
        .filter(Lease::readyInPool)
        .filter(lease -> lease.pool().filter(poolKey::equals).isPresent())
        .flatMap(lease -> liveOf(lease.vmId()).map(vm -> new Pooled(lease, vm)).stream())
        .filter(p -> p.vm().expiresAt().isAfter(at))
        .toList();
  }

  /** Slots of unclaimed pooled VMs a cold create at the cap may take, those not ready yet first. */
  List<Slots.Evictable> evictable() {
    return unclaimedPooled().stream()
        .sorted(Comparator.comparing(Lease::readyInPool))
        .map(lease -> new Slots.Evictable(lease.name(), lease))
        .toList();
  }
}
