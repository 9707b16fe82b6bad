package thebacknd.edge;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * The AWS SDK's HTTP client for {@link SnapStartPriming}: it answers every EC2, DynamoDB, S3 and
 * Secrets Manager call the functions make with a canned answer of AWS's own shape, and never opens
 * a connection. So priming runs the SDK's real marshalling, signing, retries and unmarshalling,
 * and nothing can reach AWS: no instance is launched or terminated, no key is read.
 *
 * <p>The fleet it shows is one VM of ours, {@code thebacknd-1} ({@link #VM_ID}), running.
 */
final class CannedAws implements SdkHttpClient {

  static final String VM_ID = "00000000-0000-4000-8000-00000000cafe";
  /** The kill-code key Secrets Manager "holds" here; it only ever signs priming's own requests. */
  static final String KEY = "thebacknd-snapstart-priming-only-key";

  /**
   * When the canned VM was launched: when priming runs, so that {@code /extend} (bounded by the
   * launch + THEBACKND_MAX_TTL_MINUTES) succeeds and {@code /list} shows a VM within its lifetime.
   */
  private static final String LAUNCHED_AT = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();

  private static final String EC2 = "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"";

  private static String instance(String name, String vmId) {
    return "<item><instanceId>i-0000000000000cafe</instanceId><imageId>ami-00000000</imageId>"
        + "<instanceState><code>16</code><name>running</name></instanceState>"
        + "<instanceType>t3.micro</instanceType><launchTime>" + LAUNCHED_AT + "</launchTime>"
        + "<ipAddress>192.0.2.10</ipAddress><tagSet>"
        + tag("thebacknd", "true") + tag("Name", name) + tag("thebacknd:vm-id", vmId)
        + tag("thebacknd:expires-at", "2099-01-01T00:00:00Z") + tag("thebacknd:phase", "running")
        + "</tagSet></item>";
  }

  private static String tag(String key, String value) {
    return "<item><key>" + key + "</key><value>" + value + "</value></item>";
  }

  /** EC2's answers by Action (its query protocol); any other action gets an empty answer. */
  private static final Map<String, String> EC2_ANSWERS = Map.of(
      "DescribeInstances",
      "<DescribeInstancesResponse " + EC2 + "><requestId>priming</requestId><reservationSet><item>"
          + "<reservationId>r-0000000000000cafe</reservationId><instancesSet>" + instance("thebacknd-1", VM_ID)
          + "</instancesSet></item></reservationSet></DescribeInstancesResponse>",
      "RunInstances",
      "<RunInstancesResponse " + EC2 + "><requestId>priming</requestId><reservationId>r-0000000000000cafe</reservationId>"
          + "<instancesSet>" + instance("thebacknd-2", VM_ID) + "</instancesSet></RunInstancesResponse>",
      "TerminateInstances",
      "<TerminateInstancesResponse " + EC2 + "><requestId>priming</requestId><instancesSet><item>"
          + "<instanceId>i-0000000000000cafe</instanceId><currentState><code>32</code><name>shutting-down</name></currentState>"
          + "<previousState><code>16</code><name>running</name></previousState></item></instancesSet></TerminateInstancesResponse>",
      "CreateTags",
      "<CreateTagsResponse " + EC2 + "><requestId>priming</requestId><return>true</return></CreateTagsResponse>",
      "GetConsoleOutput",
      "<GetConsoleOutputResponse " + EC2 + "><requestId>priming</requestId><instanceId>i-0000000000000cafe</instanceId>"
          + "<timestamp>2026-01-01T00:00:00.000Z</timestamp><output>cHJpbWluZwo=</output></GetConsoleOutputResponse>");

  /** The lease of {@code thebacknd-1}, as DynamoDB's JSON protocol carries an item. */
  private static final String LEASE =
      "{\"name\":{\"S\":\"thebacknd-1\"},\"vm_id\":{\"S\":\"" + VM_ID + "\"},\"claimed_at\":{\"S\":\"" + LAUNCHED_AT
          + "\"},\"instance_id\":{\"S\":\"i-0000000000000cafe\"}}";

  /**
   * A lookup of the VM's lease (a scan filtered on its vm_id) finds it; the scan of every lease a
   * create makes finds none, so its claim of a free slot succeeds.
   */
  private static final String LEASE_OF_VM = "{\"Items\":[" + LEASE + "],\"Count\":1,\"ScannedCount\":1}";

  /** DynamoDB's and Secrets Manager's answers by X-Amz-Target (their JSON protocol). */
  private static final Map<String, String> JSON_ANSWERS = Map.of(
      "DynamoDB_20120810.Scan", "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}",
      "DynamoDB_20120810.GetItem", "{\"Item\":" + LEASE + "}",
      "secretsmanager.GetSecretValue",
      "{\"ARN\":\"arn:aws:secretsmanager:us-east-1:000000000000:secret:thebacknd-priming\",\"Name\":\"thebacknd-priming\","
          + "\"SecretString\":\"" + KEY + "\",\"VersionId\":\"priming\",\"VersionStages\":[\"AWSCURRENT\"]}");

  @Override
  public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
    return new ExecutableHttpRequest() {
      @Override
      public HttpExecuteResponse call() throws IOException {
        return answer(request.httpRequest(), body(request));
      }

      @Override
      public void abort() {}
    };
  }

  private static HttpExecuteResponse answer(SdkHttpRequest request, String body) {
    String target = request.firstMatchingHeader("X-Amz-Target").orElse(null);
    if (target != null) {
      boolean leaseOfVm = target.endsWith(".Scan") && body.contains("FilterExpression");
      return response(200, "application/x-amz-json-1.0", leaseOfVm ? LEASE_OF_VM : JSON_ANSWERS.getOrDefault(target, "{}"));
    }
    if (body.contains("Action=")) {
      String action = body.replaceAll("(?s).*\\bAction=([A-Za-z]+).*", "$1");
      return response(200, "text/xml", EC2_ANSWERS.getOrDefault(action, "<" + action + "Response " + EC2 + "/>"));
    }
    // S3: an empty listing, no object yet (404), every write accepted.
    if (request.method() == SdkHttpMethod.GET && request.rawQueryParameters().containsKey("list-type")) {
      return response(200, "application/xml",
          "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>priming</Name><KeyCount>0</KeyCount>"
              + "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>");
    }
    if (request.method() == SdkHttpMethod.GET || request.method() == SdkHttpMethod.HEAD) {
      return response(404, "application/xml", request.method() == SdkHttpMethod.HEAD ? ""
          : "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>");
    }
    return response(200, "application/xml", "");
  }

  private static HttpExecuteResponse response(int status, String contentType, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    SdkHttpResponse head = SdkHttpResponse.builder()
        .statusCode(status)
        .putHeader("Content-Type", contentType)
        .putHeader("Content-Length", Integer.toString(bytes.length))
        .putHeader("x-amzn-RequestId", "priming")
        .putHeader("ETag", "\"priming\"")
        .build();
    return HttpExecuteResponse.builder()
        .response(head)
        .responseBody(AbortableInputStream.create(new ByteArrayInputStream(bytes)))
        .build();
  }

  private static String body(HttpExecuteRequest request) throws IOException {
    if (request.contentStreamProvider().isEmpty()) {
      return "";
    }
    try (InputStream in = request.contentStreamProvider().get().newStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Override
  public String clientName() {
    return "thebacknd-priming";
  }

  @Override
  public void close() {}
}
