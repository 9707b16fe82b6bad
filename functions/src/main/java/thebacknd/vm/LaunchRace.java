package thebacknd.vm;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Settles concurrent creates without a lock or a database, so names stay unique and the cap holds.
 *
 * <p>Each create <em>claims</em> by launching with the smallest free name, waits until its launch
 * second is over (EC2 launch times have one-second resolution), then reads the fleet again. That
 * settled view contains every instance launched at or before its own, so every racer computes the
 * same verdicts from it: walking the live VMs in launch order (ties by vm_id), a VM keeps its name
 * when no earlier VM kept it and the cap still has room. A loser on the cap withdraws (429); a
 * loser on the name withdraws and relaunches under the name this walk assigned it, which is
 * distinct for every loser of the same round.
 */
final class LaunchRace {

  /** What one settled view says about one VM. */
  sealed interface Verdict {}

  record Keep() implements Verdict {}

  record OverCap() implements Verdict {}

  record Renumber(String newName) implements Verdict {}

  static final Comparator<Vm> LAUNCH_ORDER =
      Comparator.comparing(Vm::launchedAt).thenComparing(vm -> String.valueOf(vm.vmId()));

  private LaunchRace() {}

  /** The verdict for every VM in {@code live}, keyed by instance id. */
  static Map<String, Verdict> settle(List<Vm> live, int cap) {
    List<Vm> ordered = live.stream().sorted(LAUNCH_ORDER).toList();
    Set<String> keptNames = new HashSet<>();
    Map<String, Verdict> verdicts = new HashMap<>();
    List<Vm> losers = new ArrayList<>();
    int slotsTaken = 0;
    for (Vm vm : ordered) {
      if (slotsTaken >= cap) {
        verdicts.put(vm.instanceId(), new OverCap());
        continue;
      }
      // A loser on the name still takes its slot: it relaunches at once and must fit.
      slotsTaken++;
      if (vm.name() != null && keptNames.add(vm.name())) {
        verdicts.put(vm.instanceId(), new Keep());
      } else {
        losers.add(vm);
      }
    }
    Set<String> taken = new HashSet<>(keptNames);
    for (Vm loser : losers) {
      String name = smallestFreeName(taken);
      taken.add(name);
      verdicts.put(loser.instanceId(), new Renumber(name));
    }
    return verdicts;
  }

  /** {@code thebacknd-N} with the smallest N ≥ 1 not in {@code names}. */
  static String smallestFreeName(Set<String> names) {
    int n = 1;
    while (names.contains(Vm.nameFor(n))) {
      n++;
    }
    return Vm.nameFor(n);
  }

  /** When a view read now is sure to hold every instance launched in the same second as ours. */
  static Instant settledAfter(Instant launchedAt, Duration margin) {
    return launchedAt.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1).plus(margin);
  }

  static Optional<Verdict> verdictFor(Map<String, Verdict> verdicts, Vm vm) {
    return Optional.ofNullable(verdicts.get(vm.instanceId()));
  }
}
