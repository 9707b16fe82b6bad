package thebacknd.edge;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import thebacknd.Lazy;
import thebacknd.Log;
import thebacknd.aws.AwsClients;
import thebacknd.cache.ClosureCheck;
import thebacknd.config.Config;
import thebacknd.config.ConfigException;
import thebacknd.output.OutputService;
import thebacknd.output.OutputStore;
import thebacknd.vm.ConsoleService;
import thebacknd.vm.Fleet;
import thebacknd.vm.KillCodes;
import thebacknd.vm.LaunchSettings;
import thebacknd.vm.Leases;
import thebacknd.vm.Names;
import thebacknd.vm.Results;
import thebacknd.vm.Secrets;
import thebacknd.vm.VmService;

/**
 * The one place the process is assembled, at start-up, from its environment: configuration (checked
 * now), one AWS client of each kind, the domain services and the {@link Api}. A Lambda container,
 * {@code thebacknd serve} and {@code thebacknd --local} all start here.
 */
public final class App implements AutoCloseable {

  /**
   * The endpoints that claim or release name leases, or find a VM through them (a name, or
   * whether a vm_id still holds its lease).
   */
  private static final Set<Route> USE_LEASES =
      Set.of(Route.CREATE, Route.DESTROY, Route.DESTROY_ALL, Route.DESTROY_OLD, Route.DESTROY_SELF,
          Route.EXTEND, Route.OUTPUT, Route.LOGS, Route.CONSOLE, Route.CLAIM, Route.POOL);

  private final Config config;
  private final Supplier<LaunchSettings> launchSettings;
  private final Supplier<Leases> leases;
  private final Api api;
  private final AwsClients aws;

  private App(Config config, AwsClients aws) {
    this.config = config;
    this.aws = aws;
    // Only create needs these; a list function has no image to launch and checks no closure.
    this.launchSettings = Lazy.of(() -> LaunchSettings.from(config));
    Supplier<ClosureCheck> closureCheck =
        Lazy.of(() -> ClosureCheck.forCache(config.cacheLocation(), config.trustedKeys(), aws));
    // Not report's; list's only when the table is configured.
    this.leases =
        Lazy.of(() -> {
          String table = config.requireLeasesTable();
          return new Leases(aws.dynamoDb(), table);
        });
    Fleet fleet = new Fleet(aws.ec2(), config.defaultTtl(), config.bootTimeout());
    KillCodes killCodes = new KillCodes(Secrets.from(config, aws));
    Clock clock = Clock.systemUTC();
    Optional<OutputStore> kept = config.outputBucket().map(where -> new OutputStore(aws::s3, where));
    VmService vms =
        new VmService(config, launchSettings, fleet, leases, killCodes, closureCheck, clock, kept.map(k -> (Results) k));
    Names names = new Names(fleet, leases, clock, config.defaultTtl());
    OutputService output = new OutputService(kept, killCodes, fleet, leases, names, clock, config.maxOutputKib() * 1024L);
    this.api = new Api(vms, output, new ConsoleService(fleet, names));
  }

  /** Reads and checks the configuration; a mistake is a one-line ConfigException. */
  public static App fromEnvironment(Map<String, String> env) {
    return new App(Config.fromEnvironment(env), AwsClients.fromEnvironment(env));
  }

  /** The same process over other AWS clients: SnapStart priming's canned ones. */
  static App withClients(Map<String, String> env, AwsClients aws) {
    return new App(Config.fromEnvironment(env), aws);
  }

  public Api api() {
    return api;
  }

  /** Closes the AWS clients (tests and short-lived tools; a Lambda container keeps them). */
  @Override
  public void close() {
    aws.close();
  }

  /**
   * Who {@code thebacknd serve} and {@code --local} act for, the {@code owner} of what they create:
   * the local user name ({@code $USER}, else the JVM's {@code user.name}).
   */
  public static String localUser(Map<String, String> env) {
    String user = env.get("USER");
    return user == null || user.isBlank() ? System.getProperty("user.name", "unknown") : user;
  }

  /** Fails now, not at the first request, when the route lacks settings it needs. */
  public void requireReadyFor(Route route) {
    if (USE_LEASES.contains(route)) {
      leases.get();
    }
    if ((route == Route.OUTPUT || route == Route.LOGS) && config.outputBucket().isEmpty()) {
      throw new ConfigException("THEBACKND_OUTPUT_BUCKET is required for /output and /logs (the bucket, or bucket/prefix, output is kept in)");
    }
    if (route == Route.CREATE || route == Route.POOL) {
      launchSettings.get();
      if (!config.verifyCache()) {
        Log.warn("THEBACKND_VERIFY_CACHE=false: VMs will be launched without checking their closure is in the cache and signed");
      }
    }
  }
}
