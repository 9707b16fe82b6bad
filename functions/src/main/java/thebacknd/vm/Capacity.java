package thebacknd.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import thebacknd.Failure;
import thebacknd.aws.AwsErrors;
import thebacknd.config.SpotFallback;

/**
 * Where a create looks for capacity, and what it does after each try (DESIGN §9 "Capacity"): a
 * pure decision. The options are the requested types in order, on spot first when spot was asked
 * for, then (with {@code THEBACKND_SPOT_FALLBACK=on-demand}) the same types on demand. A try that
 * EC2 refused for capacity launched nothing (RunInstances is all or nothing), so the next option
 * is tried; any other failure ends the walk as it is.
 */
final class Capacity {

  /** One instance type on one market. */
  record Option(String instanceType, boolean spot) {
    String market() {
      return spot ? "spot" : "on demand";
    }

    @Override
    public String toString() {
      return instanceType + " (" + market() + ")";
    }
  }

  /** What to do next. */
  sealed interface Next {}

  /** Launch on this option now. */
  record Try(Option option) implements Next {}

  /** Stop with this answer; none of the tries launched anything. */
  record NoneLaunched(Failure failure) implements Next {}

  /** The last try failed otherwise than for capacity: stop with that failure, as it is. */
  record Failed(Failure failure) implements Next {}

  /** The most instance types a create may list (DESIGN §9). */
  static final int MAX_INSTANCE_TYPES = 5;

  private Capacity() {}

  /**
   * The requested instance types, checked: at most {@link #MAX_INSTANCE_TYPES}, no repeats, each
   * allowed ({@code THEBACKND_ALLOWED_INSTANCE_TYPES}); the default type when none is given.
   */
  static List<String> instanceTypes(List<String> requested, String defaultType, Set<String> allowed) {
    if (requested.isEmpty()) {
      return List.of(defaultType);
    }
    if (requested.size() > MAX_INSTANCE_TYPES) {
      throw Failure.badRequest(
          "too_many_instance_types", "instance_types lists at most " + MAX_INSTANCE_TYPES + " types, got " + requested.size() + ".");
    }
    if (Set.copyOf(requested).size() != requested.size()) {
      throw Failure.badRequest("repeated_instance_type", "instance_types names a type more than once.");
    }
    for (String type : requested) {
      if (!allowed.contains(type)) {
        throw Failure.badRequest(
            "instance_type_not_allowed",
            "Instance type " + Failure.excerpt(type, 60) + " is not allowed; choose one of "
                + String.join(", ", allowed.stream().sorted().toList()) + ".");
      }
    }
    return requested;
  }

  /** Every option, in the order they are tried. */
  static List<Option> plan(List<String> instanceTypes, boolean spot, SpotFallback fallback) {
    List<Option> plan = new ArrayList<>();
    if (spot) {
      instanceTypes.forEach(t -> plan.add(new Option(t, true)));
    }
    if (!spot || fallback == SpotFallback.ON_DEMAND) {
      instanceTypes.forEach(t -> plan.add(new Option(t, false)));
    }
    return List.copyOf(plan);
  }

  /**
   * @param tried the options tried so far, in order, each refused for capacity but maybe the last
   * @param lastFailure how the last try failed; empty before the first
   * @param mayLaunch whether a launch may still start within the create's time ({@code
   *     VmService.LAUNCH_BY})
   */
  static Next next(List<Option> plan, List<Option> tried, Optional<Failure> lastFailure, boolean mayLaunch) {
    if (lastFailure.isPresent() && !AwsErrors.INSUFFICIENT_CAPACITY.equals(lastFailure.get().code())) {
      return new Failed(lastFailure.get());
    }
    if (tried.size() >= plan.size()) {
      return new NoneLaunched(new Failure(
          Failure.Kind.UNAVAILABLE,
          AwsErrors.INSUFFICIENT_CAPACITY,
          "No capacity for " + describe(tried) + "; nothing was launched; try again later or with other instance types"
              + lastFailure.map(f -> " (last answer: " + withoutPeriod(f.getMessage()) + ")").orElse("") + "."));
    }
    if (!mayLaunch) {
      if (tried.isEmpty()) {
        return new NoneLaunched(new Failure(
            Failure.Kind.UNAVAILABLE,
            "aws_slow",
            "AWS answered too slowly for a launch to finish within the create's time; nothing was launched; try again."));
      }
      return new NoneLaunched(new Failure(
          Failure.Kind.UNAVAILABLE,
          AwsErrors.INSUFFICIENT_CAPACITY,
          "No capacity for " + describe(tried) + ", and no time left in this create for "
              + describe(plan.subList(tried.size(), plan.size())) + "; nothing was launched; try again."));
    }
    return new Try(plan.get(tried.size()));
  }

  private static String withoutPeriod(String sentence) {
    return sentence.endsWith(".") ? sentence.substring(0, sentence.length() - 1) : sentence;
  }

  /** "t3.micro, t3.small (spot), then t3.micro (on demand)": the options grouped by market, in order. */
  static String describe(List<Option> options) {
    List<String> groups = new ArrayList<>();
    int from = 0;
    for (int i = 1; i <= options.size(); i++) {
      if (i == options.size() || options.get(i).spot() != options.get(from).spot()) {
        groups.add(options.subList(from, i).stream().map(Option::instanceType).collect(Collectors.joining(", "))
            + " (" + options.get(from).market() + ")");
        from = i;
      }
    }
    return String.join(", then ", groups);
  }
}
