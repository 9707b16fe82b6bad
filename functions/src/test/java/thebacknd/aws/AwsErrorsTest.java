package thebacknd.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import thebacknd.Failure;

class AwsErrorsTest {

  /** What the JDK's HttpURLConnection threw under load (dev/bench's 100 creates at once): a 503, not a 500. */
  @Test
  void aBareExceptionFromTheJdkHttpClientIsAnUnreachableAws() {
    NullPointerException fromTheClient = new NullPointerException("Cannot read field \"in\"");
    fromTheClient.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("sun.net.www.protocol.http.HttpURLConnection", "getInputStream0", "HttpURLConnection.java", 1700),
        new StackTraceElement("java.net.HttpURLConnection", "getResponseCode", "HttpURLConnection.java", 529)});
    Failure failure = assertThrows(Failure.class, () -> AwsErrors.call("DynamoDB", "PutItem", () -> {
      throw fromTheClient;
    }));
    assertEquals(503, failure.status());
    assertEquals("aws_unreachable", failure.code());
    assertTrue(failure.getMessage().startsWith("DynamoDB PutItem could not be reached"), failure.getMessage());
  }

  /** Our own bugs are not disguised as AWS's. */
  @Test
  void anyOtherRuntimeExceptionPassesThrough() {
    IllegalStateException ours = new IllegalStateException("a bug of ours");
    assertSame(ours, assertThrows(IllegalStateException.class, () -> AwsErrors.call("EC2", "RunInstances", () -> {
      throw ours;
    })));
  }
}
