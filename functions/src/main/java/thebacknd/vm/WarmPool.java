package thebacknd.vm;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import thebacknd.Failure;
import thebacknd.Log;
import thebacknd.config.PoolConfig;

/**
 * The warm pool ({@code THEBACKND_POOL}): idle VMs, each holding a lease like any VM (so pooled
 * plus claimed VMs stay within the cap), waiting for a create to claim them. {@code POST /pool},
 * the schedule and {@code thebacknd serve} top it up; a claim starts its replacement.
 *
 * <p>One top-up runs at a time (a lock item in the leases table), and each counts the pooled VMs
 * by their leases, which a pooled VM holds from before its launch: so never more pooled VMs than
 * configured, never past the cap (a top-up only takes free slots), and under faults a launch
 * either happened under its lease or left nothing.
 */
public final class WarmPool {

  /** A top-up lock older than this belongs to a top-up that died; it is taken over. */
  static final Duration LOCK_STALE = Duration.ofSeconds(90);
  /** How long a claim waits for its replacement's launch before answering (it goes on after). */
  static final Duration REPLACEMENT_WAIT = Duration.ofSeconds(3);
  private static final int LOCK_TRIES = 4;
  private static final Duration LOCK_PAUSE = Duration.ofMillis(250);

  /** What a top-up did: the VMs it launched, and the pool as it found it. */
  public record TopUp(List<Vm> launched, boolean dryRun, Map<String, Integer> configured, int ready, int starting) {}

  private final PoolConfig config;
  private final Supplier<Leases> leases;
  private final Clock clock;
  private final Supplier<VmCreation> creation;
  private final ExecutorService replacements =
      Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "thebacknd-pool-replacement");
        thread.setDaemon(true);
        return thread;
      });

  WarmPool(PoolConfig config, Supplier<Leases> leases, Clock clock, Supplier<VmCreation> creation) {
    this.config = config;
    this.leases = leases;
    this.clock = clock;
    this.creation = creation;
  }

  public boolean configured() {
    return !config.isEmpty();
  }

  /**
   * Launches the shortfall of every configured type and market; {@code dryRun} only counts. When
   * another top-up holds the lock, this one launches nothing (that one fills the pool).
   */
  public TopUp topUp(boolean dryRun) {
    Map<String, Integer> configured = config.byKey();
    if (config.isEmpty()) {
      return new TopUp(List.of(), dryRun, configured, 0, 0);
    }
    Leases leases = this.leases.get();
    if (dryRun) {
      return counted(creation.get().look(leases), List.of(), true);
    }
    String token = UUID.randomUUID().toString();
    if (!lock(leases, token)) {
      Log.info("another pool top-up is running; this one launches nothing");
      return counted(creation.get().look(leases), List.of(), false);
    }
    try {
      Look look = creation.get().look(leases);
      List<Vm> launched = new ArrayList<>();
      for (PoolConfig.Entry entry : config.entries()) {
        long have = look.unclaimedPooled().stream().filter(l -> l.pool().filter(entry.key()::equals).isPresent()).count();
        for (long missing = entry.count() - have; missing > 0; missing--) {
          if (look.claimable().isEmpty()) {
            Log.info("the pool stays short of " + missing + " " + entry.key() + ": every slot of the cap is held");
            return counted(look, launched, false);
          }
          try {
            launched.add(creation.get().launchPooled(leases, look, entry));
          } catch (Failure failed) {
            Log.warn("pool top-up: a launch of " + entry.key() + " failed: " + failed.getMessage());
            if (launched.isEmpty()) {
              throw failed;
            }
            return counted(creation.get().look(leases), launched, false);
          }
          look = creation.get().look(leases);
        }
      }
      return counted(look, launched, false);
    } finally {
      try {
        leases.unlockPool(token);
      } catch (Failure failed) {
        Log.warn("could not release the pool top-up lock (it goes stale in " + LOCK_STALE.toSeconds() + " s): " + failed.getMessage());
      }
    }
  }

  /** Starts the top-up that replaces a claimed pooled VM and waits for it a little; it never fails the claim. */
  void startReplacement(String poolKey) {
    if (config.isEmpty()) {
      return;
    }
    Future<?> task = replacements.submit(() -> {
      try {
        TopUp done = topUp(false);
        Log.info("replacement for a claimed " + poolKey + ": launched " + done.launched().size());
      } catch (RuntimeException failed) {
        Log.warn("the replacement of a claimed " + poolKey + " was not launched (the next top-up will): " + failed.getMessage());
      }
    });
    try {
      task.get(REPLACEMENT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException stillGoing) {
      Log.info("the replacement of a claimed " + poolKey + " is still launching");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException cannotHappen) {
      Log.warn("replacement: " + cannotHappen.getCause());
    }
  }

  private boolean lock(Leases leases, String token) {
    for (int attempt = 1; attempt <= LOCK_TRIES; attempt++) {
      if (leases.lockPool(token, clock.instant(), LOCK_STALE)) {
        return true;
      }
      try {
        Thread.sleep(LOCK_PAUSE.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private TopUp counted(Look look, List<Vm> launched, boolean dryRun) {
    List<Lease> pooled = look.unclaimedPooled();
    int ready = (int) pooled.stream().filter(Lease::readyInPool).count();
    return new TopUp(List.copyOf(launched), dryRun, config.byKey(), ready, pooled.size() - ready);
  }
}
