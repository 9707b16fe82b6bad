package thebacknd.aws;

import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import thebacknd.Failure;

/**
 * The one mapping of AWS SDK exceptions to answers, once the SDK's own retries ({@link Retries})
 * are spent: throttling ({@code RequestLimitExceeded}, {@code SlowDown}, {@code ThrottlingException}
 * …) is a 503 {@code aws_throttled}, a 5xx a 503 {@code aws_unavailable}, a call that ran out of
 * time a 503 {@code aws_timeout} (all three: try again shortly); any other refusal a 502
 * {@code aws_error}; a network failure a 502 {@code aws_unreachable}. EC2's refusals for lack of
 * capacity are a 503 {@code insufficient_capacity}: the request launched nothing, and another
 * instance type or market may have room (DESIGN §9). Each message names the service, the
 * operation and AWS's error code, in one line whatever the SDK put in its own.
 */
public final class AwsErrors {

  /** The code of a refusal for lack of capacity ({@link #CAPACITY_ERRORS}). */
  public static final String INSUFFICIENT_CAPACITY = "insufficient_capacity";

  /**
   * EC2's answers to a RunInstances that found no room for that instance type on that market
   * (DESIGN §9). {@code InsufficientInstanceCapacity} comes with HTTP 500, so the SDK would retry
   * it like any 5xx; {@link Retries} does not: the next type is a better bet than the same one.
   */
  public static final Set<String> CAPACITY_ERRORS =
      Set.of("InsufficientInstanceCapacity", "InsufficientCapacity", "SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded", "Unsupported");

  private AwsErrors() {}

  /** Runs one AWS call, e.g. {@code call("EC2", "RunInstances", () -> ec2.runInstances(r))}. */
  public static <T> T call(String service, String operation, Supplier<T> action) {
    try {
      return action.get();
    } catch (SdkException e) {
      throw failure(service + " " + operation, e);
    } catch (RuntimeException e) {
      if (!thrownByTheHttpClient(e)) {
        throw e;
      }
      // Seen under load: after an attempt timeout, the JDK's HttpURLConnection (under the SDK's
      // url-connection client) throws a bare NullPointerException instead of an IOException.
      // It is a failed transport, not our bug: a 503 like any unreachable AWS, never a 500.
      throw new Failure(Failure.Kind.UNAVAILABLE, "aws_unreachable",
          service + " " + operation + " could not be reached: the HTTP client failed (" + e + "); try again shortly.");
    }
  }

  private static boolean thrownByTheHttpClient(RuntimeException e) {
    for (StackTraceElement frame : e.getStackTrace()) {
      String where = frame.getClassName();
      if (where.startsWith("sun.net.www.") || where.equals("java.net.HttpURLConnection")) {
        return true;
      }
    }
    return false;
  }

  /** {@code what} is the call, e.g. "EC2 RunInstances"; the answer says what AWS said of it. */
  public static Failure failure(String what, SdkException e) {
    if (isCapacityShortage(e)) {
      return new Failure(Failure.Kind.UNAVAILABLE, INSUFFICIENT_CAPACITY, describe(what, e));
    }
    if (e instanceof AwsServiceException service && service.isThrottlingException()) {
      return new Failure(Failure.Kind.UNAVAILABLE, "aws_throttled", retryLater(what, e));
    }
    if (e instanceof AwsServiceException service && service.statusCode() >= 500) {
      return new Failure(Failure.Kind.UNAVAILABLE, "aws_unavailable", retryLater(what, e));
    }
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
      return new Failure(Failure.Kind.UNAVAILABLE, "aws_timeout", retryLater(what, e));
    }
    String code = e instanceof SdkClientException ? "aws_unreachable" : "aws_error";
    return new Failure(Failure.Kind.UPSTREAM_FAILED, code, describe(what, e));
  }

  /** A 503's sentence: what failed, how often it was tried, and that a later try may work. */
  private static String retryLater(String what, SdkException e) {
    String said = describe(what, e);
    Integer attempts = e.numAttempts();
    String tries = attempts == null || attempts < 2 ? "" : " (" + attempts + " attempts)";
    return said.substring(0, said.length() - 1) + tries + "; try again shortly.";
  }

  /**
   * One sentence: "EC2 RunInstances failed with Code: AWS's message." for a refusal, "… could
   * not be reached: …" for a network failure.
   */
  public static String describe(String what, SdkException e) {
    if (e instanceof AwsServiceException service) {
      String detail = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorMessage();
      return what + " failed with " + errorCode(e).orElse("HTTP " + service.statusCode())
          + (detail == null || detail.isBlank() ? "" : ": " + oneLine(detail)) + ".";
    }
    if (e instanceof SdkClientException) {
      return what + " could not be reached: " + oneLine(e.getMessage()) + ".";
    }
    return what + " failed: " + oneLine(e.getMessage()) + ".";
  }

  /** Whether EC2 refused for lack of capacity ({@link #CAPACITY_ERRORS}); other services' codes never count. */
  public static boolean isCapacityShortage(Throwable e) {
    return e instanceof Ec2Exception ec2 && errorCode(ec2).filter(CAPACITY_ERRORS::contains).isPresent();
  }

  /** AWS's error code ({@code InsufficientInstanceCapacity}, {@code NoSuchKey}…), when it sent one. */
  public static Optional<String> errorCode(SdkException e) {
    if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
      return Optional.ofNullable(service.awsErrorDetails().errorCode()).filter(c -> !c.isBlank());
    }
    return Optional.empty();
  }

  /** The first line of an SDK message, without its trailing period, at most 300 characters. */
  static String oneLine(String text) {
    if (text == null || text.isBlank()) {
      return "no detail";
    }
    int newline = text.indexOf('\n');
    String line = (newline < 0 ? text : text.substring(0, newline)).strip();
    return Failure.excerpt(line.endsWith(".") ? line.substring(0, line.length() - 1) : line, 300);
  }
}
