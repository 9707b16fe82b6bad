package thebacknd.bench;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import thebacknd.config.Config;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;
import thebacknd.vm.Fleet;
import thebacknd.vm.KillCodes;
import thebacknd.vm.Leases;
import thebacknd.vm.Vm;
import thebacknd.vm.VmService;

/**
 * destroy-old over N expired VMs in moto: our batched terminate against the one-terminate-per-VM
 * baseline (what the proof of concept did, one API call per droplet). Prints wall time and the EC2
 * API calls each made, counted by an SDK interceptor. Run by dev/bench.
 */
public final class DestroyOldBench {

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    Ec2Fixture fixture = new Ec2Fixture();
    Config config = Config.fromEnvironment(TestEnv.base());

    Moto.reset();
    LeasesTable.ensure();
    seed(fixture, count);
    CallCounter ours = new CallCounter();
    try (Ec2Client ec2 = counted(ours)) {
      Leases leases = new Leases(Moto.clients().dynamoDb(), config.requireLeasesTable());
      VmService service = new VmService(config, () -> null, new Fleet(ec2, config.defaultTtl(), config.bootTimeout()), () -> leases, new KillCodes(() -> List.of(TestEnv.SECRET)), () -> null, Clock.systemUTC());
      long start = System.nanoTime();
      int destroyed = service.destroyOld(false).destroyed().size();
      report("ours: batched destroy-old", destroyed, start, ours);
    }

    Moto.reset();
    seed(fixture, count);
    CallCounter baseline = new CallCounter();
    try (Ec2Client ec2 = counted(baseline)) {
      Fleet fleet = new Fleet(ec2, config.defaultTtl(), config.bootTimeout());
      long start = System.nanoTime();
      List<Vm> expired = fleet.live(Instant.now()).stream().filter(Vm::shouldBeDestroyed).toList();
      for (Vm vm : expired) {
        fleet.terminate(List.of(vm));
      }
      report("baseline: one TerminateInstances per VM", expired.size(), start, baseline);
    }
    Moto.reset();
  }

  private static void seed(Ec2Fixture fixture, int count) throws Exception {
    long start = System.nanoTime();
    fixture.launchManyOurs(count, Instant.now().minusSeconds(60));
    System.out.printf("  (seeded %d expired VMs in moto in %.1f s)%n", count, (System.nanoTime() - start) / 1e9);
  }

  private static void report(String label, int destroyed, long startNanos, CallCounter calls) {
    System.out.printf("  %-42s %5d VMs in %6.1f s   EC2 calls: %5d  %s%n",
        label, destroyed, (System.nanoTime() - startNanos) / 1e9, calls.total(), calls.byOperation());
  }

  private static Ec2Client counted(CallCounter counter) {
    return Ec2Client.builder()
        .region(Region.US_EAST_1)
        .endpointOverride(Moto.endpoint())
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(c -> c.addExecutionInterceptor(counter).apiCallTimeout(Duration.ofMinutes(5)))
        .build();
  }

  /** Counts API calls (not HTTP attempts) per operation, and the time spent inside each kind. */
  static final class CallCounter implements ExecutionInterceptor {
    private static final ExecutionAttribute<Long> STARTED =
        new ExecutionAttribute<>("bench-started");
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> nanos = new ConcurrentHashMap<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      calls.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), k -> new AtomicInteger()).incrementAndGet();
      attributes.putAttribute(STARTED, System.nanoTime());
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
      nanos.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), k -> new AtomicLong())
          .addAndGet(System.nanoTime() - attributes.getAttribute(STARTED));
    }

    int total() {
      return calls.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** "DescribeInstances=2 (6.1 s), TerminateInstances=2 (27.5 s)" */
    String byOperation() {
      return new TreeMap<>(calls).entrySet().stream()
          .map(e -> String.format("%s=%d (%.1f s)", e.getKey(), e.getValue().get(), nanos.getOrDefault(e.getKey(), new AtomicLong()).get() / 1e9))
          .collect(Collectors.joining(", "));
    }
  }

  private DestroyOldBench() {}

}
