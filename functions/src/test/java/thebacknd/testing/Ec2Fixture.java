package thebacknd.testing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/** Instances put straight into moto's EC2, ours or foreign, and a way to see all of them. */
public final class Ec2Fixture {

  private final Ec2Client ec2 = Moto.clients().ec2();
  private final String imageId = TestEnv.anyImageId();

  public Ec2Client ec2() {
    return ec2;
  }

  /** Launches one instance with exactly these tags (none for an untagged one); returns its id. */
  public String launch(Map<String, String> tags) {
    RunInstancesRequest.Builder request =
        RunInstancesRequest.builder().imageId(imageId).instanceType("t3.micro").minCount(1).maxCount(1);
    if (!tags.isEmpty()) {
      List<Tag> list = tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
      request.tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(list).build());
    }
    return ec2.runInstances(request.build()).instances().get(0).instanceId();
  }

  /** An instance that looks like one of our VMs, named thebacknd-N, expiring at {@code expiresAt}. */
  public String launchOurs(int number, Instant expiresAt) {
    return launch(
        Map.of(
            "thebacknd", "true",
            "Name", "thebacknd-" + number,
            "thebacknd:vm-id", UUID.randomUUID().toString(),
            "thebacknd:expires-at", expiresAt.toString()));
  }

  /** Launches many of ours in parallel, one reservation each (so DescribeInstances must page). */
  public List<String> launchManyOurs(int count, Instant expiresAt) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int number = 1000 + i;
        futures.add(pool.submit(() -> launchOurs(number, expiresAt)));
      }
      List<String> ids = new ArrayList<>();
      for (Future<String> f : futures) {
        ids.add(f.get());
      }
      return ids;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Every instance in the account, whatever its tags, by id. */
  public Map<String, Instance> all() {
    return ec2.describeInstancesPaginator(DescribeInstancesRequest.builder().build()).reservations().stream()
        .flatMap(r -> r.instances().stream())
        .collect(Collectors.toMap(Instance::instanceId, i -> i));
  }

  /** Ids of instances not shutting down or terminated, for "nothing changed" comparisons. */
  public Set<String> liveIds() {
    return all().values().stream()
        .filter(i -> !List.of("shutting-down", "terminated").contains(i.state().nameAsString()))
        .map(Instance::instanceId)
        .collect(Collectors.toSet());
  }

  public String state(String instanceId) {
    return all().get(instanceId).state().nameAsString();
  }

  public static Map<String, String> tags(Instance instance) {
    return instance.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }
}
