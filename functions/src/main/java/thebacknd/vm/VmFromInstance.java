package thebacknd.vm;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.ec2.model.Tag;

/** How {@link Fleet} reads a {@link Vm} off an EC2 instance and its tags. */
final class VmFromInstance {

  private final Duration defaultTtl;
  private final Duration bootTimeout;

  /**
   * @param defaultTtl how long an instance missing its {@code thebacknd:expires-at} tag lives
   * @param bootTimeout {@code THEBACKND_BOOT_TIMEOUT_MINUTES}: when a silent VM is unresponsive
   */
  VmFromInstance(Duration defaultTtl, Duration bootTimeout) {
    this.defaultTtl = defaultTtl;
    this.bootTimeout = bootTimeout;
  }

  /** The VM an instance stands for, or empty when it does not carry {@code thebacknd=true}. */
  Optional<Vm> of(Instance instance, Instant now) {
    Map<String, String> tags =
        instance.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> a));
    if (!VmTags.OURS_VALUE.equals(tags.get(VmTags.OURS))) {
      return Optional.empty();
    }
    Instant launchedAt = instance.launchTime();
    Instant expiresAt = expiry(tags.get(VmTags.EXPIRES_AT)).orElse(launchedAt.plus(defaultTtl));
    String reported = tags.get(VmTags.PHASE);
    String pool = tags.get(VmTags.POOL);
    boolean fromPool = VmTags.POOL_CLAIMED.equals(pool);
    boolean waitingInPool = pool != null && !fromPool;
    Optional<Instant> claimedAt = fromPool ? expiry(tags.get(VmTags.CLAIMED_AT)) : Optional.empty();
    Instant since = claimedAt.orElse(launchedAt);
    Optional<DestroyReason> reason = DestroyReason.of(since, expiresAt, reported, now, bootTimeout, waitingInPool);
    String phase = DestroyReason.shownPhase(since, reported, now, bootTimeout, waitingInPool);
    Map<String, String> timeline = new java.util.LinkedHashMap<>();
    timeline.put(Timeline.LAUNCHED, Timeline.stamp(launchedAt));
    claimedAt.ifPresent(at -> timeline.put(Timeline.CLAIMED, Timeline.stamp(at)));
    List<String> ips =
        Stream.concat(
                Stream.ofNullable(instance.publicIpAddress()),
                instance.networkInterfaces().stream()
                    .flatMap(n -> n.ipv6Addresses().stream())
                    .map(a -> a.ipv6Address()))
            .distinct()
            .toList();
    return Optional.of(
        new Vm(
            tags.get(VmTags.NAME),
            tags.get(VmTags.VM_ID),
            instance.instanceId(),
            instance.state().nameAsString(),
            instance.instanceTypeAsString(),
            tags.get(VmTags.TOPLEVEL),
            tags.get(VmTags.BINARY),
            launchedAt,
            expiresAt,
            reason.isPresent(),
            reason.map(DestroyReason::wire).orElse(null),
            ips,
            phase,
            blankToNull(tags.get(VmTags.PHASE_DETAIL)),
            exitCode(tags.get(VmTags.EXIT_CODE)),
            instance.instanceLifecycle() == InstanceLifecycleType.SPOT ? "spot" : "on-demand",
            ProgramArgs.fromTag(tags.get(VmTags.ARGS)),
            blankToNull(tags.get(VmTags.OWNER)),
            blankToNull(tags.get(VmTags.FLAKE)),
            packages(tags.get(VmTags.PACKAGES)),
            timeline,
            null,
            fromPool,
            null));
  }

  /** A Nix shell's packages from their tag; null when absent or blank. */
  private static List<String> packages(String tag) {
    return tag == null || tag.isBlank() ? null : List.of(tag.trim().split(" +"));
  }

  private static Integer exitCode(String tag) {
    try {
      return tag == null ? null : Integer.valueOf(tag);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  private static Optional<Instant> expiry(String tag) {
    if (tag == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(tag));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
