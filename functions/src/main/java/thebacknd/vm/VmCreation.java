package thebacknd.vm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import thebacknd.Failure;
import thebacknd.Log;
import thebacknd.aws.AwsErrors;
import thebacknd.cache.ClosureCheck;
import thebacknd.cache.ClosureReport;
import thebacknd.cache.StorePath;
import thebacknd.config.Config;

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

  VmCreation(
      Config config,
      Supplier<LaunchSettings> launchSettings,
      Fleet fleet,
      Supplier<Leases> leases,
      KillCodes killCodes,
      Supplier<ClosureCheck> closureCheck,
      Clock clock) {
    this.config = config;
    this.launchSettings = launchSettings;
    this.fleet = fleet;
    this.leases = leases;
    this.killCodes = killCodes;
    this.closureCheck = closureCheck;
    this.clock = clock;
    this.cleanup = new LaunchCleanup(fleet, clock);
  }

  Vm create(CreateRequest request) {
    Instant started = clock.instant();
    requireVmBuildsAllowed(request.workload());
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
    // The cap first: two reads; the closure check may be thousands.
    List<Slots.Slot> claimable = claimableSlots(leases);
    if (claimable.isEmpty()) {
      throw capReached();
    }
    requireTrustedClosure(request.workload());
    String vmId = UUID.randomUUID().toString();
    Log.aboutVm(vmId);
    String killCode = killCodes.codeFor(vmId);
    // Whole seconds: the deadline is read by people and by the agent's `date`, not by machines alone.
    Instant expiresAt = clock.instant().plus(Duration.ofMinutes(ttl)).truncatedTo(ChronoUnit.SECONDS);
    List<Capacity.Option> plan = Capacity.plan(instanceTypes, request.spot(), config.spotFallback());
    Capacity.Option first = plan.get(0);
    // Named as the longest name a lease can give, until one does.
    Launch launch = new Launch(Vm.nameFor(config.maxVms()), vmId, killCode, expiresAt, request.workload(), first.instanceType(), first.spot(), request.owner(), 0);
    // Escaped in JSON, arguments within their own limits can still pass EC2's: known before a claim.
    launch.userData(settings).toJson();
    Lease lease = claim(leases, claimable, vmId);
    return launchUnder(leases, lease, settings, launch.named(lease.name()), plan, started);
  }

  /** The slots a create may claim now, smallest first (one read of the table, one of EC2). */
  private List<Slots.Slot> claimableSlots(Leases leases) {
    List<Lease> held = leases.all();
    List<Slots.Seen> seen = fleet.ours(clock.instant()).stream().map(Slots.Seen::of).toList();
    return Slots.claimable(Slots.assess(held, seen, config.maxVms(), clock.instant()));
  }

  /** Claims the smallest slot still claimable; a slot a concurrent create took is skipped. */
  private Lease claim(Leases leases, List<Slots.Slot> claimable, String vmId) {
    List<Slots.Slot> candidates = claimable;
    for (int round = 1; round <= CLAIM_ROUNDS; round++) {
      for (Slots.Slot slot : candidates) {
        Optional<Lease> lease = leases.claim(slot, vmId, clock.instant());
        if (lease.isPresent()) {
          return lease.get();
        }
      }
      candidates = claimableSlots(leases);
      if (candidates.isEmpty()) {
        throw capReached();
      }
    }
    throw new Failure(
        Failure.Kind.TOO_MANY,
        "launch_contention",
        "Too many concurrent creates took every free name first, " + CLAIM_ROUNDS + " times; try again.");
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
    try {
      stillOurs = leases.recordInstance(lease, vm.instanceId(), Optional.of(vm.expiresAt()));
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
    return vm;
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

  /** A build on the VM runs code no signature vouched for: only where the deployment opted in. */
  private void requireVmBuildsAllowed(Workload workload) {
    if (workload.buildsOnVm() && !config.allowVmBuilds()) {
      throw new Failure(
          Failure.Kind.FORBIDDEN,
          "vm_builds_disabled",
          "This deployment does not build on VMs (nix_flake, nix_packages): THEBACKND_ALLOW_VM_BUILDS is not true;"
              + " build here and push instead (thebacknd run FLAKEREF#ATTR).");
    }
  }

  private Failure capReached() {
    return new Failure(
        Failure.Kind.TOO_MANY,
        "cap_reached",
        "The cap of " + config.maxVms() + " live VMs is reached; destroy one or wait for one to expire.");
  }
}
