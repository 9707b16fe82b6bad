package thebacknd.vm;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import thebacknd.Log;
import thebacknd.aws.AwsClients;
import thebacknd.aws.AwsErrors;
import thebacknd.config.Config;
import thebacknd.config.ConfigException;
import thebacknd.config.Secret;

/**
 * The kill-code keys, current first: {@code THEBACKND_SECRET} (and {@code
 * THEBACKND_PREVIOUS_SECRET}) locally, or the Secrets Manager secret {@code THEBACKND_SECRET_ARN}
 * in Lambda, its {@code AWSCURRENT} and {@code AWSPREVIOUS} versions.
 *
 * <p>A rotation ({@code put-secret-value}) reaches a warm container within {@link #MAX_AGE}: the
 * keys are read at the first use, then again once they are that old. A code that matches no key
 * also re-reads them at once, at most every {@link #MISMATCH_INTERVAL}, so a VM created by a
 * container that already has the new key is not refused by one that does not yet; bad codes cannot
 * turn every request into a Secrets Manager call. When a re-read fails, the keys already read stay
 * in use and the next try waits {@link #MISMATCH_INTERVAL}: no request stalls on a struggling
 * Secrets Manager.
 */
public final class Secrets implements Supplier<List<String>> {

  static final Duration MAX_AGE = Duration.ofMinutes(5);
  static final Duration MISMATCH_INTERVAL = Duration.ofSeconds(30);

  private final Supplier<List<String>> source;
  private final boolean refreshable;
  private final Clock clock;
  private List<String> keys;
  private Instant nextRead = Instant.MIN;
  private Instant nextMismatchRead = Instant.MIN;

  Secrets(Supplier<List<String>> source, boolean refreshable, Clock clock) {
    this.source = source;
    this.refreshable = refreshable;
    this.clock = clock;
  }

  /** The keys of this configuration; nothing is read until they are first needed. */
  public static Secrets from(Config config, AwsClients aws) {
    return from(config, aws, Clock.systemUTC());
  }

  static Secrets from(Config config, AwsClients aws, Clock clock) {
    if (config.secret().isPresent()) {
      List<String> local = new ArrayList<>();
      local.add(config.secret().get().value());
      config.previousSecret().map(Secret::value).ifPresent(local::add);
      return new Secrets(() -> List.copyOf(local), false, clock);
    }
    return new Secrets(() -> List.copyOf(read(config, aws)), true, clock);
  }

  /** The keys, current first; read now if never read or older than {@link #MAX_AGE}. */
  @Override
  public synchronized List<String> get() {
    if (keys == null) {
      keys = source.get(); // the first read's failure is the caller's: there is nothing to fall back on
      nextRead = clock.instant().plus(MAX_AGE);
    } else if (refreshable && !clock.instant().isBefore(nextRead)) {
      reread();
    }
    return keys;
  }

  /**
   * After a code matched no key: re-reads the keys, at most once per {@link #MISMATCH_INTERVAL};
   * true when that brought keys not held before.
   */
  public synchronized boolean refreshAfterMismatch() {
    if (!refreshable || keys == null || clock.instant().isBefore(nextMismatchRead)) {
      return false;
    }
    nextMismatchRead = clock.instant().plus(MISMATCH_INTERVAL);
    List<String> before = keys;
    reread();
    return !before.containsAll(keys);
  }

  private void reread() {
    try {
      keys = source.get();
      nextRead = clock.instant().plus(MAX_AGE);
    } catch (RuntimeException failed) {
      Log.warn("could not re-read the kill-code key; using the one read before: " + failed.getMessage());
      nextRead = clock.instant().plus(MISMATCH_INTERVAL);
    }
  }

  private static List<String> read(Config config, AwsClients aws) {
    List<String> keys = new ArrayList<>();
    String arn = config.secretArn().orElseThrow();
    keys.add(
        stage(aws, arn, "AWSCURRENT")
            .orElseThrow(() -> new ConfigException("THEBACKND_SECRET_ARN " + arn + " has no current value")));
    if (config.previousSecret().isPresent()) {
      keys.add(config.previousSecret().get().value());
    } else {
      stage(aws, arn, "AWSPREVIOUS").ifPresent(keys::add);
    }
    return keys;
  }

  private static Optional<String> stage(AwsClients aws, String arn, String stage) {
    try {
      String value =
          aws.secretsManager()
              .getSecretValue(GetSecretValueRequest.builder().secretId(arn).versionStage(stage).build())
              .secretString();
      return Optional.ofNullable(value).filter(v -> !v.isEmpty());
    } catch (ResourceNotFoundException e) {
      if ("AWSCURRENT".equals(stage)) {
        throw new ConfigException("THEBACKND_SECRET_ARN names a secret that does not exist: " + arn);
      }
      return Optional.empty();
    } catch (SdkException e) {
      throw AwsErrors.failure("Secrets Manager GetSecretValue", e);
    }
  }
}
