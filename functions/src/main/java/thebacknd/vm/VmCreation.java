package thebacknd.vm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import thebacknd.Failure;
import thebacknd.Log;
import thebacknd.aws.AwsErrors;
import thebacknd.cache.ClosureCheck;
import thebacknd.cache.ClosureReport;
import thebacknd.cache.StorePath;
import thebacknd.config.Config;
import thebacknd.config.PoolConfig;

/**
 * {@code POST /create}: the cap (a name lease claimed with a conditional write), the closure
 * check, then a launch that tries each capacity option in turn and records the instance on its
 * lease. Beside it, {@link LaunchCleanup} handles the launches a create will not answer 201 for.
 */
final class VmCreation {

  /** Rounds of look → claim before a create gives up under heavy contention. */
  static final int CLAIM_ROUNDS = 3;
  /**
   * A create launches only this soon after it started, so that what follows the launch still fits
   * in the function's time (the arithmetic: {@link thebacknd.aws.Retries}).
   */
  static final Duration LAUNCH_BY = Duration.ofSeconds(9);

  private final Config config;
  private final Supplier<LaunchSettings> launchSettings;
  private final Fleet fleet;
  private final Supplier<Leases> leases;
  private final KillCodes killCodes;
  private final Supplier<ClosureCheck> closureCheck;
  private final Clock clock;
  private final LaunchCleanup cleanup;
  /** Starts the launch of a claimed pooled VM's replacement, given its pool key. */
  private final Consumer<String> replacement;

  VmCreation(
      Config config,
      Supplier<LaunchSettings> launchSettings,
      Fleet fleet,
      Supplier<Leases> leases,
      KillCodes killCodes,
      Supplier<ClosureCheck> closureCheck,
      Clock clock,
      Consumer<String> replacement) {
    this.config = config;
    this.launchSettings = launchSettings;
    this.fleet = fleet;
    this.leases = leases;
    this.killCodes = killCodes;
    this.closureCheck = closureCheck;
    this.clock = clock;
    this.cleanup = new LaunchCleanup(fleet, clock);
    this.replacement = replacement;
  }

  Vm create(CreateRequest request) {
    Instant started = clock.instant();
    LaunchSettings settings = launchSettings.get();
    Leases leases = this.leases.get();
    List<String> instanceTypes =
        Capacity.instanceTypes(request.instanceTypes(), config.defaultInstanceType(), config.allowedInstanceTypes());
    long maxTtl = config.maxTtl().toMinutes();
    int ttl = request.ttlMinutes().orElse((int) config.defaultTtl().toMinutes());
    if (ttl < 1 || ttl > maxTtl) {
      throw Failure.badRequest(
          "ttl_out_of_range", "ttl_minutes must be between 1 and " + maxTtl + ", got " + ttl + ".");
    }
    List<Capacity.Option> plan = Capacity.plan(instanceTypes, request.spot(), config.spotFallback());
    Capacity.Option first = plan.get(0);
    // The cap first: two reads; the closure check may be thousands.
    Look look = look(leases);
    List<Look.Pooled> ready = look.readyInPool(PoolConfig.keyOf(first.instanceType(), request.spot()));
    if (look.claimable().isEmpty() && ready.isEmpty() && look.evictable().isEmpty()) {
      throw capReached();
    }
    requireTrustedClosure(request.workload());
    if (!ready.isEmpty()) {
      Optional<Vm> claimed = claimFromPool(leases, ready, request, ttl, started);
      if (claimed.isPresent()) {
        return claimed.get();
      }
      look = look(leases);
    }
    String vmId = UUID.randomUUID().toString();
    Log.aboutVm(vmId);
    String killCode = killCodes.codeFor(vmId);
    // Whole seconds: the deadline is read by people and by the agent's `date`, not by machines alone.
    Instant expiresAt = clock.instant().plus(Duration.ofMinutes(ttl)).truncatedTo(ChronoUnit.SECONDS);
    // Named as the longest name a lease can give, until one does.
    Launch launch = new Launch(Vm.nameFor(config.maxVms()), vmId, killCode, expiresAt, request.workload(), first.instanceType(), first.spot(), request.owner(), 0);
    // Escaped in JSON, arguments within their own limits can still pass EC2's: known before a claim.
    launch.userData(settings).toJson();
    Lease lease = claim(leases, look, vmId, started, Optional.empty(), true);
    return launchUnder(leases, lease, settings, launch.named(lease.name()), plan, started);
  }

  /**
   * Launches one warm-pool VM of {@code entry} under a free slot (never an evicted one, never past
   * the cap: 429 {@code cap_reached} when no slot is free), its deadline its idle deadline.
   */
  Vm launchPooled(Leases leases, Look look, PoolConfig.Entry entry) {
    Instant started = clock.instant();
    LaunchSettings settings = launchSettings.get();
    String vmId = UUID.randomUUID().toString();
    Instant idleDeadline = started.plus(config.poolIdle()).truncatedTo(ChronoUnit.SECONDS);
    Launch launch = new Launch(Vm.nameFor(config.maxVms()), vmId, killCodes.codeFor(vmId), idleDeadline, new Workload.BaseImage(),
        entry.instanceType(), entry.spot(), Optional.empty(), 0, Optional.of(entry.key()));
    if (look.claimable().isEmpty()) {
      throw capReached();
    }
    Lease lease = claim(leases, look, vmId, started, Optional.of(entry.key()), false);
    return launchUnder(leases, lease, settings, launch.named(lease.name()),
        List.of(new Capacity.Option(entry.instanceType(), entry.spot())), started);
  }

  /** One read of the leases table and one of EC2, taken together. */
  Look look(Leases leases) {
    List<Lease> held = leases.all();
    Instant now = clock.instant();
    return new Look(held, fleet.ours(now), config.maxVms(), now);
  }

  /**
   * Claims a ready pooled VM for this create: one conditional write on its lease (a VM another
   * create got first is skipped), then its tags say what it runs now, for whom and until when;
   * the replacement's launch starts before the answer. Empty when every ready VM was taken.
   */
  private Optional<Vm> claimFromPool(Leases leases, List<Look.Pooled> ready, CreateRequest request, int ttl, Instant requested) {
    Workload workload = request.workload();
    for (Look.Pooled pooled : ready) {
      Instant claimedAt = clock.instant();
      Instant deadline = claimedAt.plus(Duration.ofMinutes(ttl)).truncatedTo(ChronoUnit.SECONDS);
      Assignment assignment = Assignment.of(pooled.lease().name(), workload, deadline);
      if (!leases.claimPooled(pooled.lease(), assignment, requested, claimedAt)) {
        continue;
      }
      Log.aboutVm(pooled.vm().vmId());
      Map<String, String> tags = new LinkedHashMap<>();
      tags.put(VmTags.POOL, VmTags.POOL_CLAIMED);
      tags.put(VmTags.CLAIMED_AT, Timeline.stamp(claimedAt));
      tags.put(VmTags.EXPIRES_AT, deadline.toString());
      workload.nixToplevel().ifPresent(p -> tags.put(VmTags.TOPLEVEL, p));
      workload.nixBinary().ifPresent(p -> tags.put(VmTags.BINARY, p));
      workload.nixArgs().flatMap(ProgramArgs::tagValue).ifPresent(a -> tags.put(VmTags.ARGS, a));
      request.owner().ifPresent(o -> tags.put(VmTags.OWNER, VmTags.fitted(o)));
      try {
        fleet.tag(pooled.vm(), tags);
      } catch (Failure untagged) {
        // Its tags would still say its idle deadline and no workload: it goes, the create goes on.
        Log.warn("could not tag the claimed pooled " + pooled.vm().instanceId() + ": " + untagged.getMessage() + "; withdrawing it");
        cleanup.withdraw(pooled.vm());
        VmService.releaseQuietly(leases, pooled.lease().name(), pooled.lease().vmId());
        continue;
      }
      Map<String, String> stamps = Map.of(Timeline.REQUESTED, Timeline.stamp(requested), Timeline.CLAIMED, Timeline.stamp(claimedAt));
      Vm vm = pooled.vm().withLease(pooled.lease()).claimedAs(workload, request.owner(), deadline, stamps);
      Log.info("claimed the pooled " + vm.name() + " (" + vm.instanceId() + ", " + vm.instanceType() + ", vm_id " + vm.vmId() + ")");
      replacement.accept(pooled.lease().pool().orElseThrow());
      return Optional.of(vm);
    }
    return Optional.empty();
  }

  /**
   * Claims the smallest slot still claimable; a slot a concurrent create took is skipped. A cold
   * create ({@code mayEvict}) at the cap takes the slot of an unclaimed pooled VM and terminates it.
   */
  private Lease claim(Leases leases, Look look, String vmId, Instant requested, Optional<String> pool, boolean mayEvict) {
    Look current = look;
    for (int round = 1; round <= CLAIM_ROUNDS; round++) {
      List<Slots.Slot> candidates = new ArrayList<>(current.claimable());
      if (candidates.isEmpty() && mayEvict) {
        candidates.addAll(current.evictable());
      }
      if (candidates.isEmpty()) {
        throw capReached();
      }
      for (Slots.Slot slot : candidates) {
        Optional<Lease> lease = leases.claim(slot, vmId, clock.instant(), Optional.of(requested), pool);
        if (lease.isPresent()) {
          if (slot instanceof Slots.Evictable evicted) {
            evict(current, evicted);
          }
          return lease.get();
        }
      }
      current = look(leases);
    }
    throw new Failure(
        Failure.Kind.TOO_MANY,
        "launch_contention",
        "Too many concurrent creates took every free name first, " + CLAIM_ROUNDS + " times; try again.");
  }

  /** Terminates the pooled VM whose slot was just taken; one that survives finds its lease gone (410 on /claim) and powers off. */
  private void evict(Look look, Slots.Evictable evicted) {
    List<Vm> vms = look.liveOf(evicted.pooled().vmId()).stream().toList();
    if (vms.isEmpty()) {
      return;
    }
    try {
      fleet.withdraw(vms);
      Log.info("evicted the unclaimed pooled " + evicted.name() + " (" + vms.get(0).instanceId() + ") for a create at the cap");
    } catch (Failure failed) {
      Log.warn("could not terminate the evicted pooled " + vms.get(0).instanceId() + ": " + failed.getMessage()
          + " (its lease is gone: its agent powers off at its next /claim)");
    }
  }

  /**
   * Launches under a claimed lease, trying the plan's options in turn while EC2 has no capacity
   * (DESIGN §9), and records the instance on the lease. Whatever fails leaves either no instance
   * and a released lease, or an instance that its lease (or, past the grace, its own vm_id tag)
   * still accounts for: never a VM the cap does not count. The name is claimed once for every try.
   */
  private Vm launchUnder(
      Leases leases, Lease lease, LaunchSettings settings, Launch base, List<Capacity.Option> plan, Instant started) {
    List<Capacity.Option> tried = new ArrayList<>();
    Optional<Failure> lastFailure = Optional.empty();
    Launch launch = base;
    Vm vm = null;
    while (vm == null) {
      boolean mayLaunch = Duration.between(started, clock.instant()).compareTo(LAUNCH_BY) <= 0;
      Capacity.Next next = Capacity.next(plan, tried, lastFailure, mayLaunch);
      if (next instanceof Capacity.NoneLaunched none) {
        VmService.releaseQuietly(leases, lease.name(), lease.vmId());
        throw none.failure();
      }
      if (next instanceof Capacity.Failed failed) {
        if (surelyNotLaunched(failed.failure())) {
          VmService.releaseQuietly(leases, lease.name(), lease.vmId());
        } else {
          // It may have launched after all: withdrawn when seen; else the lease keeps its slot
          // until the instance is seen gone, or for the grace if it never shows up (Slots).
          cleanup.afterLostAnswer(leases, lease, started);
        }
        throw failed.failure();
      }
      Capacity.Option option = ((Capacity.Try) next).option();
      try {
        launch = launch.on(option);
        vm = fleet.launch(settings, launch, clock.instant());
      } catch (Failure refused) {
        if (AwsErrors.INSUFFICIENT_CAPACITY.equals(refused.code())) {
          Log.info("no capacity for " + option + " (vm_id " + lease.vmId() + "): " + refused.getMessage());
        }
        tried.add(option);
        lastFailure = Optional.of(refused);
      }
    }
    boolean stillOurs;
    Instant launchedAt = clock.instant();
    try {
      stillOurs = leases.recordLaunch(lease, vm.instanceId(), vm.expiresAt(), launchedAt);
    } catch (Failure unrecorded) {
      // The lease is still ours; without the instance id the VM's vm_id tag accounts for it.
      Log.warn("could not record " + vm.instanceId() + " on the lease of " + lease.name() + ": " + unrecorded.getMessage());
      stillOurs = true;
    }
    if (!stillOurs) {
      cleanup.withdraw(vm);
      throw new Failure(
          Failure.Kind.UNAVAILABLE,
          "lease_lost",
          "The name " + lease.name() + " was reclaimed while launching; the launch was withdrawn; try again.");
    }
    Log.info("created " + vm.name() + " (" + vm.instanceId() + ", " + vm.instanceType() + ", " + vm.lifecycle() + ", vm_id " + vm.vmId() + ")");
    Map<String, String> stamps = new LinkedHashMap<>(lease.timeline());
    stamps.put(Timeline.LAUNCHED, Timeline.stamp(launchedAt));
    return vm.withLease(new Lease(lease.name(), lease.vmId(), lease.claimedAt(), Optional.of(vm.instanceId()),
        Optional.of(vm.expiresAt()), stamps, Optional.empty(), lease.pool(), false, Optional.empty()));
  }

  /**
   * A refusal (4xx) means EC2 did not run the request. A 5xx or a timeout may come after the
   * launch; so may a throttled last attempt, after an earlier attempt that failed with a 5xx.
   */
  private static boolean surelyNotLaunched(Failure refused) {
    return refused.kind() == Failure.Kind.UPSTREAM_FAILED && "aws_error".equals(refused.code());
  }

  /**
   * The closure check of DESIGN §6 (422 {@code cache_check_failed}), then, for a toplevel, §10:
   * its closure must hold the agent's package (422 {@code toplevel_without_agent}). Missing or
   * unsigned paths come first: an unsigned narinfo's references say nothing about the agent.
   */
  private void requireTrustedClosure(Workload workload) {
    Optional<StorePath> root = workload.closureRoot();
    if (root.isEmpty()) {
      return;
    }
    if (!config.verifyCache()) {
      Log.warn("closure of " + root.get() + " NOT checked (THEBACKND_VERIFY_CACHE=false)");
      return;
    }
    ClosureReport report = closureCheck.get().check(root.get());
    if (!report.trusted()) {
      throw new Failure(Failure.Kind.CACHE_CHECK_FAILED, "cache_check_failed", report.summary());
    }
    if (workload instanceof Workload.Toplevel && report.agent().isEmpty()) {
      throw new Failure(
          Failure.Kind.CACHE_CHECK_FAILED,
          "toplevel_without_agent",
          "The closure of " + root.get() + " has no " + ClosureReport.AGENT_NAME + " package: import the thebacknd"
              + " flake's nixosModules.default (see docs/toplevels.md), or the VM loses its deadline at the next reboot.");
    }
  }

  private Failure capReached() {
    return new Failure(
        Failure.Kind.TOO_MANY,
        "cap_reached",
        "The cap of " + config.maxVms() + " live VMs is reached; destroy one or wait for one to expire.");
  }
}
