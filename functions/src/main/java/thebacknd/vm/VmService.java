package thebacknd.vm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import thebacknd.Failure;
import thebacknd.Log;
import thebacknd.cache.ClosureCheck;
import thebacknd.cache.ClosureReport;
import thebacknd.cache.StorePath;
import thebacknd.config.Config;

/**
 * The VM lifecycle: create, list, destroy (all, old, one by name, self) and phase reports. Every
 * entry point (Lambda handlers, local server, CLI --local) calls these methods and nothing else.
 */
public final class VmService {

  /** Rounds of claim → settle → re-check before a create gives up under heavy contention. */
  static final int MAX_LAUNCH_ROUNDS = 5;
  /** Extra wait after a launch second ends, for EC2 to show every launch of that second. */
  static final Duration SETTLE_MARGIN = Duration.ofMillis(500);

  private static final int MAX_DETAIL_LENGTH = 255;

  private final Config config;
  private final Supplier<LaunchSettings> launchSettings;
  private final Fleet fleet;
  private final KillCodes killCodes;
  private final Supplier<ClosureCheck> closureCheck;
  private final Clock clock;

  /**
   * @param launchSettings demanded by {@code create} only (a list function has no image to launch)
   * @param closureCheck demanded by {@code create} only, when {@code THEBACKND_VERIFY_CACHE} is on
   */
  public VmService(
      Config config,
      Supplier<LaunchSettings> launchSettings,
      Fleet fleet,
      KillCodes killCodes,
      Supplier<ClosureCheck> closureCheck,
      Clock clock) {
    this.config = config;
    this.launchSettings = launchSettings;
    this.fleet = fleet;
    this.killCodes = killCodes;
    this.closureCheck = closureCheck;
    this.clock = clock;
  }

  // ---------------------------------------------------------------- create

  public Vm create(CreateRequest request) {
    LaunchSettings settings = launchSettings.get();
    String instanceType = request.instanceType().orElse(config.defaultInstanceType());
    if (!config.allowedInstanceTypes().contains(instanceType)) {
      throw Failure.badRequest(
          "instance_type_not_allowed",
          "Instance type " + Failure.excerpt(instanceType, 60) + " is not allowed; choose one of "
              + String.join(", ", config.allowedInstanceTypes().stream().sorted().toList()) + ".");
    }
    long maxTtl = config.maxTtl().toMinutes();
    int ttl = request.ttlMinutes().orElse((int) config.defaultTtl().toMinutes());
    if (ttl < 1 || ttl > maxTtl) {
      throw Failure.badRequest(
          "ttl_out_of_range", "ttl_minutes must be between 1 and " + maxTtl + ", got " + ttl + ".");
    }
    // The cap first: it is one call, the closure check may be thousands of reads.
    List<Vm> live = fleet.live(clock.instant());
    if (live.size() >= config.maxVms()) {
      throw capReached();
    }
    request.workload().closureRoot().ifPresent(this::requireTrustedClosure);
    String vmId = UUID.randomUUID().toString();
    // Whole seconds: the deadline is read by people and by the agent's `date`, not by machines alone.
    Instant expiresAt = clock.instant().plus(Duration.ofMinutes(ttl)).truncatedTo(ChronoUnit.SECONDS);
    Launch launch =
        new Launch(
            LaunchRace.smallestFreeName(names(live)),
            vmId,
            killCodes.codeFor(vmId),
            expiresAt,
            request.workload(),
            instanceType,
            1);
    for (int round = 1; round <= MAX_LAUNCH_ROUNDS; round++) {
      Vm vm = fleet.launch(settings, launch, clock.instant());
      waitUntil(LaunchRace.settledAfter(vm.launchedAt(), SETTLE_MARGIN));
      Map<String, LaunchRace.Verdict> verdicts =
          LaunchRace.settle(fleet.live(clock.instant()), config.maxVms());
      LaunchRace.Verdict verdict =
          LaunchRace.verdictFor(verdicts, vm).orElse(new LaunchRace.Keep());
      if (verdict instanceof LaunchRace.Keep) {
        Log.info("created " + vm.name() + " (" + vm.instanceId() + ", vm_id " + vmId + ")");
        return vm;
      }
      fleet.terminate(List.of(vm));
      if (verdict instanceof LaunchRace.OverCap) {
        throw capReached();
      }
      launch = launch.renamed(((LaunchRace.Renumber) verdict).newName());
      Log.info("lost the race for " + vm.name() + " to a concurrent create; relaunching as " + launch.name());
    }
    throw new Failure(
        Failure.Kind.TOO_MANY,
        "launch_contention",
        "Too many concurrent creates to settle a unique name after " + MAX_LAUNCH_ROUNDS + " rounds; try again.");
  }

  private void requireTrustedClosure(StorePath root) {
    if (!config.verifyCache()) {
      Log.warn("closure of " + root + " NOT checked (THEBACKND_VERIFY_CACHE=false)");
      return;
    }
    ClosureReport report = closureCheck.get().check(root);
    if (!report.trusted()) {
      throw new Failure(Failure.Kind.CACHE_CHECK_FAILED, "cache_check_failed", report.summary());
    }
  }

  private Failure capReached() {
    return new Failure(
        Failure.Kind.TOO_MANY,
        "cap_reached",
        "The cap of " + config.maxVms() + " live VMs is reached; destroy one or wait for one to expire.");
  }

  private void waitUntil(Instant moment) {
    long millis = Duration.between(clock.instant(), moment).toMillis();
    if (millis > 0) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while settling a launch", e);
      }
    }
  }

  private static Set<String> names(List<Vm> vms) {
    return vms.stream().map(Vm::name).filter(n -> n != null).collect(Collectors.toCollection(HashSet::new));
  }

  // ---------------------------------------------------------------- list and destroy

  public List<Vm> list() {
    return fleet.live(clock.instant());
  }

  /** The outcome of destroy-all, destroy-old and destroy: what was (or would be) terminated. */
  public record Destruction(List<Vm> destroyed, boolean dryRun) {}

  public Destruction destroyAll(boolean dryRun) {
    return destroy(fleet.live(clock.instant()), dryRun);
  }

  /** Destroys VMs past their {@code thebacknd:expires-at} (or launch time + default TTL). */
  public Destruction destroyOld(boolean dryRun) {
    return destroy(fleet.live(clock.instant()).stream().filter(Vm::shouldBeDestroyed).toList(), dryRun);
  }

  public Destruction destroyByName(String name, boolean dryRun) {
    List<Vm> named = fleet.live(clock.instant()).stream().filter(vm -> name.equals(vm.name())).toList();
    if (named.isEmpty()) {
      throw new Failure(Failure.Kind.NOT_FOUND, "vm_not_found", "No live VM is named " + Failure.excerpt(name, 60) + ".");
    }
    return destroy(named, dryRun);
  }

  private Destruction destroy(List<Vm> vms, boolean dryRun) {
    if (!dryRun && !vms.isEmpty()) {
      fleet.terminate(vms);
      Log.info("terminated " + vms.size() + " VM(s)");
    }
    return new Destruction(vms, dryRun);
  }

  // ---------------------------------------------------------------- calls from VMs

  public record SelfDestruction(String vmId, List<String> terminated) {}

  public record PhaseReport(String vmId, String phase) {}

  /** A VM asks to be terminated; nothing is touched unless its kill code proves its vm_id. */
  public SelfDestruction destroySelf(String vmId, String killCode) {
    requireKillCode(vmId, killCode);
    List<Vm> vms = fleet.liveWithVmId(vmId, clock.instant());
    List<String> terminated = fleet.terminate(vms);
    Log.info("vm_id " + vmId + " destroyed itself: " + terminated);
    return new SelfDestruction(vmId, terminated);
  }

  /**
   * A VM reports its boot phase; the phase tags are set on that VM only. A program's exit code
   * (DESIGN §9) comes with {@code finished} or {@code failed} and is kept as a tag too.
   */
  public PhaseReport report(String vmId, String killCode, Phase phase, Optional<String> detail, Optional<Integer> exitCode) {
    exitCode.ifPresent(
        code -> {
          if (code < 0 || code > 255) {
            throw Failure.badRequest("invalid_exit_code", "exit_code is from 0 to 255, got " + code + ".");
          }
          if (phase != Phase.FINISHED && phase != Phase.FAILED) {
            throw Failure.badRequest("exit_code_without_result", "exit_code comes with phase finished or failed only.");
          }
        });
    detail.ifPresent(
        d -> {
          if (d.length() > MAX_DETAIL_LENGTH) {
            throw Failure.badRequest(
                "detail_too_long", "detail is at most " + MAX_DETAIL_LENGTH + " characters.");
          }
        });
    requireKillCode(vmId, killCode);
    List<Vm> vms = fleet.liveWithVmId(vmId, clock.instant());
    if (vms.isEmpty()) {
      throw new Failure(Failure.Kind.NOT_FOUND, "vm_not_found", "No live VM has vm_id " + vmId + ".");
    }
    Map<String, String> tags = new HashMap<>(Map.of(VmTags.PHASE, phase.wire(), VmTags.PHASE_DETAIL, detail.orElse("")));
    exitCode.ifPresent(code -> tags.put(VmTags.EXIT_CODE, Integer.toString(code)));
    for (Vm vm : vms) {
      fleet.tag(vm, tags);
    }
    return new PhaseReport(vmId, phase.wire());
  }

  private void requireKillCode(String vmId, String killCode) {
    killCodes.require(vmId, killCode);
  }
}
