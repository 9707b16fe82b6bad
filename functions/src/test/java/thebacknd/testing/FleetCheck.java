package thebacknd.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * What "no orphans" means, read straight from moto: every instance carries {@code thebacknd=true};
 * every live one holds the lease of its name (its vm_id on it), so the cap counts it and the next
 * create cannot take its name; and no two live VMs share a name.
 */
public final class FleetCheck {

  private static final Set<String> GONE = Set.of("shutting-down", "terminated");

  private FleetCheck() {}

  public static void assertNoOrphans() {
    List<String> problems = orphans();
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  /** What breaks "no orphans", one line each; empty when nothing does. */
  public static List<String> orphans() {
    Map<String, Map<String, String>> leases = LeasesTable.byName();
    List<String> problems = new ArrayList<>();
    for (Instance instance : new Ec2Fixture().all().values()) {
      Map<String, String> tags = Ec2Fixture.tags(instance);
      if (!"true".equals(tags.get("thebacknd"))) {
        problems.add("an instance without our tag: " + instance.instanceId() + " " + tags);
      } else if (!GONE.contains(instance.state().nameAsString())) {
        Map<String, String> lease = leases.get(tags.get("Name"));
        if (lease == null || !String.valueOf(tags.get("thebacknd:vm-id")).equals(lease.get("vm_id"))) {
          problems.add("live " + instance.instanceId() + " " + tags.get("Name") + " holds no lease");
        }
      }
    }
    List<String> liveNames = live().values().stream().map(i -> Ec2Fixture.tags(i).get("Name")).toList();
    if (Set.copyOf(liveNames).size() != liveNames.size()) {
      problems.add("live names repeat: " + liveNames);
    }
    return problems;
  }

  /** The live instances, by id. */
  public static Map<String, Instance> live() {
    return new Ec2Fixture().all().values().stream()
        .filter(i -> !GONE.contains(i.state().nameAsString()))
        .collect(Collectors.toMap(Instance::instanceId, i -> i));
  }

  /** Exactly these instances are live, nothing else. */
  public static void assertLiveAreExactly(Collection<String> instanceIds) {
    assertEquals(Set.copyOf(instanceIds), live().keySet(), "live instances");
  }
}
