package thebacknd.aws;

import java.time.Duration;
import java.util.function.Predicate;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.AcquireInitialTokenResponse;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RecordSuccessResponse;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;

/**
 * How often and how long each AWS client retries, chosen from the functions' timeouts.
 *
 * <p>Every client uses the SDK's <em>standard</em> retry strategy: it retries throttling
 * ({@code RequestLimitExceeded}, {@code SlowDown}, {@code ThrottlingException} …), 5xx, timeouts
 * and network errors, with exponential backoff and full jitter, and keeps a per-client retry quota
 * so that a real outage is not made worse. Not <em>adaptive</em>: its client-side rate limiter
 * learns a send rate per client, and a Lambda container makes a handful of calls per invocation,
 * so it would learn nothing and only delay the first call after a throttle. Throttling backs off
 * from a longer base than other errors, as AWS advises.
 *
 * <p>The budget of a create (function timeout 29 s, API Gateway's limit 30 s). Its calls, one
 * after the other: Scan of the leases (DynamoDB), DescribeInstances (EC2, quick), the closure
 * check (S3 reads, 32 at a time), the kill-code key (Secrets Manager, first use only), PutItem of
 * the claim, RunInstances (EC2, quick), UpdateItem recording the instance; then, if the lease was
 * lost meanwhile, TerminateInstances (EC2, quick); if RunInstances failed, DeleteItem. Each call,
 * retries included, ends within its {@code callTimeout}: DynamoDB 3 s, quick EC2 6 s. {@code
 * VmService} starts a launch only while at most {@code LAUNCH_BY} = 9 s of the create have passed,
 * and the longest path after it is RunInstances 6 + UpdateItem 3 + TerminateInstances 6 = 15 s
 * (RunInstances 6 + DeleteItem 3 = 9 s when the launch fails): 9 + 15 = 24 s &lt; 29 s, with room
 * for the handler itself. When RunInstances failed in a way that may come after the launch (a 5xx
 * or a timeout), the create looks for that launch by its vm_id and withdraws it: no look starts
 * after 17 s, and a look (DescribeInstances, quick, 6 s) and a withdrawal (6 s) end by 29 s. A create that needed longer before its launch answers 503 having
 * launched nothing. In practice DynamoDB answers in milliseconds and EC2 in well under a second;
 * the worst case needs every call to time out.
 *
 * <p>A create may try up to ten launches (five instance types, spot then on demand: DESIGN §9).
 * EC2's refusals for lack of capacity are not retried by the SDK ({@link AwsErrors#CAPACITY_ERRORS};
 * {@code InsufficientInstanceCapacity} comes as an HTTP 500, which the SDK would otherwise retry
 * for seconds): each try is then one quick request, and {@code VmService} starts none after
 * {@code LAUNCH_BY}, so the budget above holds whatever the number of tries.
 *
 * <p>Odds under faults: a call fails only when all its attempts fail. At 40 % injected faults,
 * six attempts fail together 0.4^6 = 0.4 % of the time; a create's four calls that must succeed
 * then succeed together 98 % of the time (94 % at 50 %).
 */
public final class Retries {

  /**
   * One client's retry settings.
   *
   * @param attempts first try included
   * @param base first backoff (full jitter: a random delay up to it, doubling each retry)
   * @param cap longest backoff
   * @param throttledBase first backoff after a throttling error
   * @param throttledCap longest backoff after a throttling error
   * @param attemptTimeout one HTTP attempt
   * @param callTimeout the whole call, every attempt and backoff included
   * @param settled errors never retried, whatever their status
   */
  public record Policy(
      int attempts,
      Duration base,
      Duration cap,
      Duration throttledBase,
      Duration throttledCap,
      Duration attemptTimeout,
      Duration callTimeout,
      Predicate<Throwable> settled) {

    ClientOverrideConfiguration clientConfiguration() {
      RetryStrategy standard =
          AwsRetryStrategy.standardRetryStrategy().toBuilder()
              .maxAttempts(attempts)
              .backoffStrategy(BackoffStrategy.exponentialDelay(base, cap))
              .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(throttledBase, throttledCap))
              .build();
      return ClientOverrideConfiguration.builder()
          .retryStrategy(new ExceptFor(standard, settled))
          .apiCallAttemptTimeout(attemptTimeout)
          .apiCallTimeout(callTimeout)
          .build();
    }
  }

  /**
   * The standard strategy, except that a failure {@code settled} says is final is not retried.
   * (The SDK's builders can only add reasons to retry.) Not a {@code DefaultAwareRetryStrategy},
   * so the client uses it as it is, with the AWS conditions {@code standard} already has.
   */
  private record ExceptFor(RetryStrategy standard, Predicate<Throwable> settled) implements RetryStrategy {

    @Override
    public AcquireInitialTokenResponse acquireInitialToken(AcquireInitialTokenRequest request) {
      return standard.acquireInitialToken(request);
    }

    @Override
    public RefreshRetryTokenResponse refreshRetryToken(RefreshRetryTokenRequest request) {
      if (settled.test(request.failure())) {
        throw new TokenAcquisitionFailedException("not retried: " + request.failure().getMessage(), request.token(), request.failure());
      }
      return standard.refreshRetryToken(request);
    }

    @Override
    public RecordSuccessResponse recordSuccess(RecordSuccessRequest request) {
      return standard.recordSuccess(request);
    }

    @Override
    public int maxAttempts() {
      return standard.maxAttempts();
    }

    @Override
    public boolean useClientDefaults() {
      return false;
    }

    @Override
    public Builder<?, ?> toBuilder() {
      return standard.toBuilder();
    }
  }

  private static final Predicate<Throwable> NOTHING = e -> false;

  /**
   * EC2 as list and the destroy functions (60 s) use it: a DescribeInstances page or a
   * TerminateInstances batch covers up to 1,000 instances and may take seconds (15 s in moto).
   */
  public static final Policy EC2 =
      new Policy(6, ms(100), ms(2000), ms(250), ms(3000), Duration.ofSeconds(30), Duration.ofSeconds(50), AwsErrors::isCapacityShortage);

  /** The one-instance EC2 calls of a create (see the budget above), set on each request. */
  public static final AwsRequestOverrideConfiguration EC2_QUICK =
      AwsRequestOverrideConfiguration.builder()
          .apiCallAttemptTimeout(Duration.ofSeconds(3))
          .apiCallTimeout(Duration.ofSeconds(6))
          .build();

  /** The leases: single-item calls that DynamoDB answers in milliseconds. */
  public static final Policy DYNAMODB =
      new Policy(6, ms(25), ms(500), ms(50), ms(1000), ms(1500), Duration.ofSeconds(3), NOTHING);

  /** The cache's narinfo reads, many in parallel; S3 answers SlowDown when pressed. */
  public static final Policy S3 =
      new Policy(8, ms(50), ms(1000), ms(100), ms(2000), Duration.ofSeconds(5), Duration.ofSeconds(20), NOTHING);

  /** The kill-code key, read once per container and then every few minutes. */
  public static final Policy SECRETS_MANAGER =
      new Policy(4, ms(100), ms(1000), ms(200), ms(2000), Duration.ofSeconds(2), Duration.ofSeconds(5), NOTHING);

  private Retries() {}

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
