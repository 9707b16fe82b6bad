package thebacknd.edge;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import thebacknd.Json;
import thebacknd.Log;
import thebacknd.aws.AwsClients;
import thebacknd.vm.KillCodes;

/**
 * SnapStart priming. Lambda snapshots a function's initialised JVM when a version is published,
 * and calls this {@link Resource} just before: it runs the function's own route twice, as API
 * Gateway and as a direct invocation would call it, through a second {@link App} whose AWS clients
 * answer from {@link CannedAws}. So the snapshot already holds everything the first real request
 * needs loaded and initialised: Jackson's serializers of the route's records, the SDK's clients,
 * marshallers, signer, retry and endpoint rules, the domain code. Nothing leaves the process:
 * canned AWS, dummy credentials, a priming-only key; the real {@link App} is not touched.
 *
 * <p>The Runtime Interface Emulator takes no snapshot; with {@code THEBACKND_PRIME_AT_INIT=true}
 * the priming runs during init instead, which is how {@code LambdaRuntimeIT} measures what it moves
 * from the first request to init.
 */
final class SnapStartPriming implements Resource {

  /** Lambda holds resources weakly: the registered ones are kept here. */
  private static final List<SnapStartPriming> REGISTERED = new ArrayList<>();

  /** The routes VMs call, with their kill code and no IAM caller. */
  private static final Set<Route> VM_ROUTES = Set.of(Route.DESTROY_SELF, Route.REPORT, Route.OUTPUT, Route.CLAIM);

  private final Route route;
  private final Map<String, String> env;

  private SnapStartPriming(Route route, Map<String, String> env) {
    this.route = route;
    this.env = env;
  }

  /** Registers the priming of a function's route with the runtime (a no-op on a JVM without CRaC). */
  static synchronized void register(Route route, Map<String, String> env) {
    SnapStartPriming priming = new SnapStartPriming(route, env);
    REGISTERED.add(priming);
    Core.getGlobalContext().register(priming);
    if ("true".equals(env.get("THEBACKND_PRIME_AT_INIT"))) {
      priming.prime();
    }
  }

  @Override
  public void beforeCheckpoint(Context<? extends Resource> context) {
    prime();
  }

  @Override
  public void afterRestore(Context<? extends Resource> context) {}

  /**
   * Runs the route; the HTTP statuses it answered (none when it failed). A failure costs the first
   * request some speed, never the snapshot.
   */
  List<Integer> prime() {
    long started = System.nanoTime();
    List<Integer> statuses = new ArrayList<>();
    try {
      LambdaHandler handler = new LambdaHandler(route, primingApp().api()) {};
      for (int round = 0; round < 2; round++) {
        statuses.add(Json.parse(invoke(handler, httpEvent())).path("statusCode").asInt());
        invoke(handler, directPayload());
      }
      Log.info("SnapStart priming of " + route.path + ": HTTP " + statuses + " in "
          + (System.nanoTime() - started) / 1_000_000 + " ms");
      return statuses;
    } catch (RuntimeException | IOException | LinkageError e) {
      Log.warn("SnapStart priming of " + route.path + " failed; the first request will load what it needs: " + e);
      return List.of();
    }
  }

  /** For tests: the priming of {@code route} in {@code env}, run now. */
  static List<Integer> primeNow(Route route, Map<String, String> env) {
    return new SnapStartPriming(route, env).prime();
  }

  /** This function's configuration over canned AWS: a priming-only key, the fleet {@link CannedAws} shows. */
  private App primingApp() {
    Map<String, String> primingEnv = new HashMap<>(env);
    primingEnv.remove("THEBACKND_SECRET");
    primingEnv.remove("THEBACKND_PREVIOUS_SECRET");
    primingEnv.remove("AWS_ENDPOINT_URL");
    primingEnv.put("THEBACKND_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:thebacknd-priming");
    Optional<Region> region = Optional.ofNullable(env.get("AWS_REGION")).filter(r -> !r.isBlank()).map(Region::of)
        .or(() -> Optional.of(Region.US_EAST_1));
    AwsClients canned = AwsClients.over(
        new CannedAws(), StaticCredentialsProvider.create(AwsBasicCredentials.create("PRIMING", "priming-only")), region);
    return App.withClients(primingEnv, canned);
  }

  /** The route's request as API Gateway's HTTP API (payload format 2.0) sends it. */
  private String httpEvent() {
    Map<String, Object> http = Map.of("method", route.method, "path", route.path, "protocol", "HTTP/1.1", "sourceIp", "192.0.2.1");
    Map<String, Object> event = new HashMap<>();
    event.put("version", "2.0");
    event.put("routeKey", route.method + " " + route.path);
    event.put("rawPath", route.path);
    event.put("headers", Map.of("content-type", "application/json"));
    Map<String, Object> context = new HashMap<>(Map.of("accountId", "000000000000", "apiId", "priming", "stage", "$default", "http", http));
    if (!VM_ROUTES.contains(route)) {
      // The IAM-authorized routes know their caller (the owner of what they create, list --mine).
      context.put("authorizer", Map.of("iam", Map.of("userArn", "arn:aws:iam::000000000000:user/priming")));
    }
    event.put("requestContext", context);
    if (route.method.equals("GET")) {
      event.put("queryStringParameters", query());
    } else {
      event.put("body", directPayload());
    }
    event.put("isBase64Encoded", false);
    return Json.write(event);
  }

  private Map<String, String> query() {
    return switch (route) {
      case LOGS -> Map.of("vm_id", CannedAws.VM_ID, "after", "-1");
      case CONSOLE -> Map.of("name", "thebacknd-1");
      default -> Map.of();
    };
  }

  /** The body of a request that succeeds against the canned fleet (a direct invocation's payload). */
  private String directPayload() {
    String code = new KillCodes(() -> List.of(CannedAws.KEY)).codeFor(CannedAws.VM_ID);
    Map<String, Object> body = switch (route) {
      case DESTROY -> Map.of("name", "thebacknd-1");
      case EXTEND -> Map.of("name", "thebacknd-1", "ttl_minutes", 30);
      case DESTROY_SELF -> Map.of("vm_id", CannedAws.VM_ID, "vm_killcode", code);
      case REPORT -> Map.of("vm_id", CannedAws.VM_ID, "vm_killcode", code, "phase", "finished", "exit_code", 0);
      case OUTPUT -> Map.of("vm_id", CannedAws.VM_ID, "vm_killcode", code, "seq", 0, "text", "priming\n", "final", true);
      case LOGS -> Map.of("vm_id", CannedAws.VM_ID, "after", -1);
      case CONSOLE -> Map.of("name", "thebacknd-1");
      case CLAIM -> Map.of("vm_id", CannedAws.VM_ID, "vm_killcode", code);
      case POOL -> Map.of("dry_run", true);
      default -> Map.of();
    };
    return Json.write(body);
  }

  private static String invoke(LambdaHandler handler, String payload) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(payload.getBytes(StandardCharsets.UTF_8)), out, null);
    return out.toString(StandardCharsets.UTF_8);
  }
}
