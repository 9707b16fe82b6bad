package thebacknd.vm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import thebacknd.Failure;

/**
 * What a name stands for, through its lease (one consistent read of the leases table), never
 * through DescribeInstances alone: a VM created a moment ago is found though EC2 does not show it
 * yet, and a name whose VM is gone is never resolved to the next VM that gets it.
 */
public final class Names {

  private final Fleet fleet;
  private final Supplier<Leases> leases;
  private final Clock clock;
  private final Duration defaultTtl;

  public Names(Fleet fleet, Supplier<Leases> leases, Clock clock, Duration defaultTtl) {
    this.fleet = fleet;
    this.leases = leases;
    this.clock = clock;
    this.defaultTtl = defaultTtl;
  }

  /** The live VM called {@code name}, or 404 {@code vm_not_found}. */
  public Vm requireLive(String name) {
    return requireLive(name, Optional.empty());
  }

  /**
   * The live VM called {@code name}; 404 {@code vm_not_found} when there is none, 409
   * {@code vm_mismatch} when {@code vmId} is given and the name now belongs to another VM.
   */
  public Vm requireLive(String name, Optional<String> vmId) {
    Optional<Lease> lease = leases.get().named(name);
    if (lease.isPresent() && vmId.isPresent() && !vmId.get().equals(lease.get().vmId())) {
      throw new Failure(
          Failure.Kind.CONFLICT,
          "vm_mismatch",
          Failure.excerpt(name, 60) + " is now the VM " + lease.get().vmId() + ", not " + Failure.excerpt(vmId.get(), 60)
              + " (that one is gone); nothing was changed.");
    }
    Instant now = clock.instant();
    return lease
        .flatMap(l -> liveOf(l, fleet.withVmIdInAnyState(l.vmId(), now), now, defaultTtl))
        .orElseThrow(() -> notFound(name));
  }

  /** The lease of {@code name} as it is now: which vm_id the name stands for, live or not. */
  public Optional<Lease> lease(String name) {
    return leases.get().named(name);
  }

  public static Failure notFound(String name) {
    return new Failure(Failure.Kind.NOT_FOUND, "vm_not_found", "No live VM is named " + Failure.excerpt(name, 60) + ".");
  }

  /**
   * The live VM a lease stands for, given what DescribeInstances shows of its vm_id in any state:
   * the VM EC2 shows live; else, while its launch is recorded and it may exist unseen (not seen
   * gone, within the launch grace), the VM as the lease knows it, {@code pending}; else none.
   */
  static Optional<Vm> liveOf(Lease lease, List<Vm> seen, Instant now, Duration defaultTtl) {
    Optional<Vm> live = seen.stream()
        .filter(vm -> lease.vmId().equals(vm.vmId()) && VmTags.LIVE_STATES.contains(vm.state()))
        .findFirst();
    if (live.isPresent()) {
      return live.map(vm -> vm.withLease(lease));
    }
    if (lease.instanceId().isEmpty() || Slots.staleness(lease, seen.stream().map(Slots.Seen::of).toList(), now).isPresent()) {
      return Optional.empty();
    }
    return Optional.of(Vm.unseen(lease, lease.instanceId().get(), lease.expiresAt().orElse(lease.claimedAt().plus(defaultTtl))));
  }

  /**
   * Every live VM: what DescribeInstances shows live, and the VMs leases record as launched that
   * it does not show yet (as {@link #liveOf} judges them), ordered by name number.
   */
  static List<Vm> live(Collection<Lease> leases, List<Vm> everything, Instant now, Duration defaultTtl) {
    java.util.Map<String, Lease> byVmId = leases.stream().collect(Collectors.toMap(Lease::vmId, l -> l, (a, b) -> a));
    List<Vm> vms = new ArrayList<>(everything.stream()
        .filter(vm -> VmTags.LIVE_STATES.contains(vm.state()))
        .map(vm -> vm.vmId() != null && byVmId.containsKey(vm.vmId()) ? vm.withLease(byVmId.get(vm.vmId())) : vm)
        .toList());
    Set<String> seenVmIds = everything.stream().map(Vm::vmId).filter(id -> id != null).collect(Collectors.toSet());
    for (Lease lease : leases) {
      if (!seenVmIds.contains(lease.vmId())) {
        liveOf(lease, everything, now, defaultTtl).ifPresent(vms::add);
      }
    }
    vms.sort(Fleet.BY_NAME);
    return List.copyOf(vms);
  }
}
