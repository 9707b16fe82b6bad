package thebacknd.vm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import thebacknd.Failure;
import thebacknd.Log;
import thebacknd.cache.ClosureCheck;
import thebacknd.config.Config;

/**
 * The VM lifecycle: create ({@link VmCreation}), list, extend, destroy (all, old, one by name,
 * self) and phase reports. Every entry point (Lambda handlers, local server, CLI --local) calls
 * these methods and nothing else.
 */
public final class VmService {

  private static final int MAX_DETAIL_LENGTH = 255;

  private final Config config;
  private final Fleet fleet;
  private final Supplier<Leases> leases;
  private final KillCodes killCodes;
  private final Clock clock;
  private final VmCreation creation;
  private final Names names;
  private final Optional<Results> results;
  private final WarmPool pool;

  /**
   * @param launchSettings demanded by {@code create} only (a list function has no image to launch)
   * @param leases demanded by {@code create}, the destroys and {@code extend} (the name leases);
   *     by {@code list} only when {@code THEBACKND_LEASES_TABLE} is set
   * @param closureCheck demanded by {@code create} only, when {@code THEBACKND_VERIFY_CACHE} is on
   * @param results where a report's exit code and the VM's name are kept beyond the VM; none
   *     without an output bucket (the exit code is then a tag only)
   */
  public VmService(
      Config config,
      Supplier<LaunchSettings> launchSettings,
      Fleet fleet,
      Supplier<Leases> leases,
      KillCodes killCodes,
      Supplier<ClosureCheck> closureCheck,
      Clock clock,
      Optional<Results> results) {
    this.config = config;
    this.fleet = fleet;
    this.leases = leases;
    this.killCodes = killCodes;
    this.clock = clock;
    this.pool = new WarmPool(config.pool(), leases, clock, this::creation);
    this.creation = new VmCreation(config, launchSettings, fleet, leases, killCodes, closureCheck, clock, this.pool::startReplacement);
    this.names = new Names(fleet, leases, clock, config.defaultTtl());
    this.results = results;
  }

  public VmService(
      Config config,
      Supplier<LaunchSettings> launchSettings,
      Fleet fleet,
      Supplier<Leases> leases,
      KillCodes killCodes,
      Supplier<ClosureCheck> closureCheck,
      Clock clock) {
    this(config, launchSettings, fleet, leases, killCodes, closureCheck, clock, Optional.empty());
  }

  private VmCreation creation() {
    return creation;
  }

  public Vm create(CreateRequest request) {
    return creation.create(request);
  }

  // ---------------------------------------------------------------- list and extend

  /**
   * Every live VM, and those whose lease records their launch while DescribeInstances does not
   * show them yet ({@code pending}); without a leases table, what DescribeInstances shows.
   */
  public List<Vm> list() {
    Instant now = clock.instant();
    if (config.leasesTable().isEmpty()) {
      return fleet.live(now);
    }
    List<Lease> held;
    try {
      held = leases.get().all();
    } catch (Failure unread) {
      // The leases only add what EC2 does not show yet: without them, list what it shows.
      Log.warn("list without the leases (" + unread.getMessage() + "): a VM launched a moment ago may be missing");
      return fleet.live(now);
    }
    return Names.live(held, fleet.everything(now), now, config.defaultTtl());
  }

  /** The live VMs {@code owner} created ({@code thebacknd:owner}, compared as the tag holds it). */
  public List<Vm> listOwnedBy(String owner) {
    String tagged = VmTags.fitted(owner);
    return list().stream().filter(vm -> tagged.equals(vm.owner())).toList();
  }

  /**
   * Moves a live VM's deadline to now + {@code ttlMinutes}, at most its launch + {@code
   * THEBACKND_MAX_TTL_MINUTES}. Only its {@code thebacknd:expires-at} tag changes; its agent reads
   * it from the instance metadata when its timer fires. A VM already past its deadline is going:
   * 409 {@code vm_expired}; {@code vmId}, when given, must be the VM the name stands for (409
   * {@code vm_mismatch}).
   */
  public Vm extend(String name, int ttlMinutes, Optional<String> vmId) {
    if (ttlMinutes < 1) {
      throw Failure.badRequest("ttl_out_of_range", "ttl_minutes must be at least 1, got " + ttlMinutes + ".");
    }
    Vm vm = names.requireLive(name, vmId);
    Log.aboutVm(vm.vmId());
    Instant now = clock.instant();
    if (!now.isBefore(vm.expiresAt())) {
      throw new Failure(
          Failure.Kind.CONFLICT,
          "vm_expired",
          name + " is past its deadline (" + vm.expiresAt() + ") and is being destroyed; create a new VM.");
    }
    Instant deadline = now.plus(Duration.ofMinutes(ttlMinutes)).truncatedTo(ChronoUnit.SECONDS);
    Instant latest = vm.since().plus(config.maxTtl());
    if (deadline.isAfter(latest)) {
      long left = Math.max(0, Duration.between(now, latest).toMinutes());
      throw Failure.badRequest(
          "ttl_out_of_range",
          name + " may live until " + latest.truncatedTo(ChronoUnit.SECONDS) + " (its " + (vm.fromPool() ? "claim" : "launch") + " + " + config.maxTtl().toMinutes()
              + " minutes): ttl_minutes is at most " + left + " now, got " + ttlMinutes + ".");
    }
    fleet.tag(vm, Map.of(VmTags.EXPIRES_AT, deadline.toString()));
    Log.info("extended " + name + " (" + vm.instanceId() + ", vm_id " + vm.vmId() + ") until " + deadline);
    return fleet.withDeadline(vm, deadline, now);
  }

  public Vm extend(String name, int ttlMinutes) {
    return extend(name, ttlMinutes, Optional.empty());
  }

  // ---------------------------------------------------------------- destroy

  /** The outcome of destroy-all, destroy-old and destroy: what was (or would be) terminated. */
  public record Destruction(List<Vm> destroyed, boolean dryRun) {}

  public Destruction destroyAll(boolean dryRun) {
    return destroy(withLeases(fleet.live(clock.instant())), dryRun);
  }

  /**
   * Destroys VMs past their {@code thebacknd:expires-at} (or launch time + default TTL), pooled
   * ones past their idle deadline included, and unresponsive ones.
   */
  public Destruction destroyOld(boolean dryRun) {
    return destroy(withLeases(fleet.live(clock.instant()).stream().filter(Vm::shouldBeDestroyed).toList()), dryRun);
  }

  /** The VMs with what their leases know (timeline, timings); as they are when the leases cannot be read. */
  private List<Vm> withLeases(List<Vm> vms) {
    if (vms.isEmpty() || config.leasesTable().isEmpty()) {
      return vms;
    }
    Map<String, Lease> byVmId = new HashMap<>();
    try {
      leases.get().all().forEach(lease -> byVmId.putIfAbsent(lease.vmId(), lease));
    } catch (Failure unread) {
      Log.warn("VMs shown without their timelines (" + unread.getMessage() + ")");
      return vms;
    }
    return vms.stream().map(vm -> vm.vmId() != null && byVmId.containsKey(vm.vmId()) ? vm.withLease(byVmId.get(vm.vmId())) : vm).toList();
  }

  // ---------------------------------------------------------------- the warm pool

  /** {@code POST /pool}: tops up the warm pool's shortfall ({@code dryRun}: only counts). */
  public WarmPool.TopUp topUpPool(boolean dryRun) {
    return pool.topUp(dryRun);
  }

  /** Whether {@code THEBACKND_POOL} configures a pool (what {@code thebacknd serve} tops up every minute). */
  public boolean poolConfigured() {
    return pool.configured();
  }

  public record Claim(String vmId, Assignment assignment) {}

  /**
   * {@code POST /claim}: a pooled VM asks, with its kill code, whether a create claimed it; its
   * assignment once one did, null while unclaimed; 410 {@code vm_gone} once its lease is gone
   * (its agent then powers off).
   */
  public Claim claim(String vmId, String killCode) {
    requireKillCode(vmId, killCode);
    Log.aboutVm(vmId);
    Lease lease = leases.get().ofVm(vmId).orElseThrow(() -> new Failure(
        Failure.Kind.GONE, "vm_gone", "The VM " + vmId + " is gone (its lease was released); power off."));
    return new Claim(vmId, lease.assignment().orElse(null));
  }

  /**
   * Destroys the VM a name stands for on its lease (found though EC2 does not show it yet);
   * {@code vmId}, when given, must be that VM (409 {@code vm_mismatch}, nothing destroyed).
   */
  public Destruction destroyByName(String name, boolean dryRun, Optional<String> vmId) {
    Vm vm = names.requireLive(name, vmId);
    Log.aboutVm(vm.vmId());
    return destroy(List.of(vm), dryRun);
  }

  public Destruction destroyByName(String name, boolean dryRun) {
    return destroyByName(name, dryRun, Optional.empty());
  }

  private Destruction destroy(List<Vm> vms, boolean dryRun) {
    if (!dryRun && !vms.isEmpty()) {
      Leases leases = this.leases.get();
      fleet.terminate(vms);
      release(leases, vms);
      Log.info("terminated " + vms.size() + " VM(s)");
    }
    return new Destruction(vms, dryRun);
  }

  /**
   * Frees the slots of terminated VMs. A release that fails fails nothing: the slot of a VM seen
   * gone is reclaimable anyway.
   */
  private void release(Leases leases, List<Vm> terminated) {
    for (Vm vm : terminated) {
      boolean slot = Vm.numberOf(vm.name()).filter(n -> n <= config.maxVms()).isPresent();
      if (slot && vm.vmId() != null) {
        releaseQuietly(leases, vm.name(), vm.vmId());
      }
    }
  }

  static void releaseQuietly(Leases leases, String name, String vmId) {
    try {
      leases.release(name, vmId);
    } catch (Failure failed) {
      Log.warn("could not release the lease of " + name + " (vm_id " + vmId + "): " + failed.getMessage());
    }
  }

  // ---------------------------------------------------------------- calls from VMs

  public record SelfDestruction(String vmId, List<String> terminated) {}

  public record PhaseReport(String vmId, String phase) {}

  /** A VM asks to be terminated; nothing is touched unless its kill code proves its vm_id. */
  public SelfDestruction destroySelf(String vmId, String killCode) {
    requireKillCode(vmId, killCode);
    Log.aboutVm(vmId);
    Leases leases = this.leases.get();
    List<Vm> vms = fleet.liveWithVmId(vmId, clock.instant());
    List<String> terminated = fleet.terminate(vms);
    release(leases, vms);
    Log.info("vm_id " + vmId + " destroyed itself: " + terminated);
    return new SelfDestruction(vmId, terminated);
  }

  /**
   * A VM reports its phase, and this is all a report does, in this order: the kill code proves
   * the vm_id; a program's exit code ({@code finished} or {@code failed} only) and the VM's name
   * are kept where they outlive the VM (the output bucket); then the VM's phase tags are set,
   * on that VM only. So a failure answers before any tag changed, and the agent's retry redoes
   * it all. {@code detail} is kept without control characters. A {@code failed} VM's deadline
   * moves to at most {@code THEBACKND_FAILED_KEEP_MINUTES} from now, and when it failed is kept.
   */
  public PhaseReport report(String vmId, String killCode, Phase phase, Optional<String> detail, Optional<Integer> exitCode) {
    return report(vmId, killCode, phase, detail, exitCode, Optional.empty());
  }

  /**
   * {@link #report(String, String, Phase, Optional, Optional)} with the agent's {@code timings};
   * the phase's first report is stamped on the VM's timeline (its lease), before any tag changes.
   */
  public PhaseReport report(
      String vmId, String killCode, Phase phase, Optional<String> detail, Optional<Integer> exitCode, Optional<Timings> timings) {
    exitCode.ifPresent(
        code -> {
          if (code < 0 || code > 255) {
            throw Failure.badRequest("invalid_exit_code", "exit_code is from 0 to 255, got " + code + ".");
          }
          if (phase != Phase.FINISHED && phase != Phase.FAILED) {
            throw Failure.badRequest("exit_code_without_result", "exit_code comes with phase finished or failed only.");
          }
        });
    String text = detail.map(VmTags::text).orElse("");
    if (text.length() > MAX_DETAIL_LENGTH) {
      throw Failure.badRequest("detail_too_long", "detail is at most " + MAX_DETAIL_LENGTH + " characters.");
    }
    requireKillCode(vmId, killCode);
    Log.aboutVm(vmId);
    Instant now = clock.instant();
    List<Vm> vms = fleet.liveWithVmId(vmId, now);
    if (vms.isEmpty()) {
      throw new Failure(Failure.Kind.NOT_FOUND, "vm_not_found", "No live VM has vm_id " + vmId + ".");
    }
    results.ifPresent(kept -> {
      exitCode.ifPresent(code -> kept.keepExitCode(vmId, code));
      if (phase == Phase.FINISHED || phase == Phase.FAILED) {
        vms.stream().map(Vm::name).filter(n -> Vm.numberOf(n).isPresent()).findFirst().ifPresent(n -> kept.keepName(n, vmId));
      }
    });
    if (config.leasesTable().isPresent()) {
      Leases leases = this.leases.get();
      vms.stream().map(Vm::name).filter(n -> Vm.numberOf(n).isPresent()).distinct()
          .forEach(name -> leases.stampReport(name, vmId, phase, now, timings));
    }
    for (Vm vm : vms) {
      Map<String, String> tags = new HashMap<>(Map.of(VmTags.PHASE, phase.wire(), VmTags.PHASE_DETAIL, text));
      exitCode.ifPresent(code -> tags.put(VmTags.EXIT_CODE, Integer.toString(code)));
      if (phase == Phase.FAILED) {
        Instant kept = now.plus(config.failedKeep()).truncatedTo(ChronoUnit.SECONDS);
        tags.put(VmTags.EXPIRES_AT, (kept.isBefore(vm.expiresAt()) ? kept : vm.expiresAt()).toString());
        if (!Phase.FAILED.wire().equals(vm.phase())) {
          // The first failed report says when; the agent's retries of it move nothing.
          tags.put(VmTags.FAILED_AT, now.truncatedTo(ChronoUnit.SECONDS).toString());
        }
      }
      fleet.tag(vm, tags);
    }
    Log.info("vm_id " + vmId + " reported " + phase.wire() + exitCode.map(c -> " (exit code " + c + ")").orElse(""));
    return new PhaseReport(vmId, phase.wire());
  }

  private void requireKillCode(String vmId, String killCode) {
    killCodes.require(vmId, killCode);
  }
}
