package thebacknd.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.s3.S3Client;
import thebacknd.testing.FaultProxy.Delivery;
import thebacknd.testing.FaultProxy.Service;

/**
 * The fault proxy speaks AWS: the real SDK, which never retries here, reads each injected error's
 * code, status and throttling class as it would from AWS; and a new instance stays out of
 * DescribeInstances for the lag, then shows up.
 */
class FaultProxyTest {

  private FaultProxy proxy;

  @BeforeEach
  void start() {
    Moto.reset();
    proxy = FaultProxy.forMoto(7);
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  @Test
  void ec2ErrorsAreReadWithTheirCodeStatusAndClass() {
    proxy.rule(FaultProxy.share(Service.EC2, 1.0, List.of(FaultProxy.REQUEST_LIMIT_EXCEEDED), Delivery.INSTEAD));
    AwsServiceException e = assertThrows(AwsServiceException.class, () -> ec2().describeInstances());
    assertEquals("RequestLimitExceeded", e.awsErrorDetails().errorCode());
    assertEquals("Request limit exceeded.", e.awsErrorDetails().errorMessage());
    assertEquals(503, e.statusCode());
    assertTrue(e.isThrottlingException());
    assertEquals(1, proxy.faults().get("EC2 DescribeInstances"));
  }

  @Test
  void s3AndDynamoDbErrorsAreReadWithTheirCodeStatusAndClass() {
    Moto.clients().s3().createBucket(b -> b.bucket("faults"));
    proxy.rule(FaultProxy.share(Service.S3, 1.0, List.of(FaultProxy.SLOW_DOWN), Delivery.INSTEAD));
    proxy.rule(FaultProxy.share(Service.DYNAMODB, 1.0, List.of(FaultProxy.DYNAMODB_THROTTLING), Delivery.INSTEAD));

    AwsServiceException slowDown = assertThrows(AwsServiceException.class, () -> s3().getObject(r -> r.bucket("faults").key("k")));
    assertEquals("SlowDown", slowDown.awsErrorDetails().errorCode());
    assertEquals(503, slowDown.statusCode());
    assertTrue(slowDown.isThrottlingException());

    AwsServiceException throttled = assertThrows(AwsServiceException.class, () -> dynamoDb().listTables());
    assertEquals("ThrottlingException", throttled.awsErrorDetails().errorCode());
    assertEquals(400, throttled.statusCode());
    assertTrue(throttled.isThrottlingException());
  }

  @Test
  void aFaultAfterTheCallLetsItHappenAndLosesTheAnswer() {
    LeasesTable.ensure();
    proxy.rule(FaultProxy.share(Service.DYNAMODB, 1.0, List.of(FaultProxy.DYNAMODB_INTERNAL_ERROR), Delivery.AFTER));
    AwsServiceException lost = assertThrows(AwsServiceException.class,
        () -> dynamoDb().putItem(r -> r.tableName(LeasesTable.NAME).item(java.util.Map.of("name",
            software.amazon.awssdk.services.dynamodb.model.AttributeValue.builder().s("thebacknd-1").build()))));
    assertEquals(500, lost.statusCode());
    assertEquals(Set.of("thebacknd-1"), Set.copyOf(LeasesTable.items().stream().map(i -> i.get("name")).toList()));
  }

  @Test
  void aShareOfRequestsFailsAndTheRestAreForwarded() {
    proxy.rule(FaultProxy.share(Service.EC2, 0.5, FaultProxy.TYPICAL.get(Service.EC2), Delivery.INSTEAD));
    int ok = 0;
    for (int i = 0; i < 40; i++) {
      try {
        ec2().describeInstances();
        ok++;
      } catch (AwsServiceException e) {
        assertTrue(Set.of("RequestLimitExceeded", "InternalError", "Unavailable").contains(e.awsErrorDetails().errorCode()));
      }
    }
    assertEquals(40, proxy.requests().get("EC2 DescribeInstances"));
    assertEquals(40 - ok, proxy.faultCount());
    assertTrue(ok > 5 && ok < 35, ok + " of 40 went through");
  }

  @Test
  void aNewInstanceIsHiddenFromDescribeInstancesForTheLag() {
    proxy.hideNewInstancesFor(Duration.ofSeconds(2));
    String old = new Ec2Fixture().launch(java.util.Map.of("thebacknd", "true")); // not through the proxy: not new to it
    String young = ec2().runInstances(r -> r.imageId(TestEnv.anyImageId()).instanceType("t3.micro").minCount(1).maxCount(1))
        .instances().get(0).instanceId();

    assertEquals(Set.of(old), visibleIds());
    assertEquals(young, Moto.clients().ec2().describeInstances(r -> r.instanceIds(young)).reservations().get(0).instances().get(0).instanceId());
    Poll.until(Duration.ofSeconds(10), () -> visibleIds().contains(young), young + " to become visible");
    assertEquals(Set.of(old, young), visibleIds());
  }

  private Set<String> visibleIds() {
    return Set.copyOf(ec2().describeInstances().reservations().stream()
        .flatMap(r -> r.instances().stream()).map(Instance::instanceId).toList());
  }

  private Ec2Client ec2() {
    return Ec2Client.builder().region(Region.US_EAST_1).endpointOverride(proxy.endpoint())
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
  }

  private S3Client s3() {
    return S3Client.builder().region(Region.US_EAST_1).endpointOverride(proxy.endpoint()).forcePathStyle(true)
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
  }

  private DynamoDbClient dynamoDb() {
    return DynamoDbClient.builder().region(Region.US_EAST_1).endpointOverride(proxy.endpoint())
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
  }
}
