package thebacknd.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback HTTP proxy in front of moto that has a bad day the way real AWS does: it answers a
 * share of requests with AWS's own error responses (EC2's {@code <Response><Errors>…} XML, S3's
 * {@code <Error>} XML, DynamoDB's {@code __type} JSON, with their real statuses), so the real SDK
 * parses, classifies and retries them exactly as it would in AWS; and it can hide each new
 * instance from {@code DescribeInstances} for a while, as EC2's eventual consistency does.
 *
 * <p>Faults are decided by {@link Rule}s, tried in order, with one seeded {@link Random}, so a
 * run reproduces (as far as the order of concurrent requests allows). A fault is delivered
 * {@link Delivery#INSTEAD} of forwarding (AWS refused: nothing happened) or {@link
 * Delivery#AFTER} forwarding (it happened, the answer was lost). Use AFTER only for idempotent
 * calls: moto does not honour RunInstances' ClientToken, so a lost RunInstances answer retried
 * by the SDK would launch twice where AWS would not.
 *
 * <p>Which service a request is for comes from its SigV4 credential scope ({@code …/ec2/aws4_request});
 * the operation from EC2's {@code Action} parameter, DynamoDB's {@code X-Amz-Target}, or for S3 the
 * method and path. Moto's own {@code /moto-api/} is never touched.
 */
public final class FaultProxy implements AutoCloseable {

  public enum Service { EC2, S3, DYNAMODB, SECRETS_MANAGER, OTHER }

  /** When a fault is delivered: instead of the call, or after it happened, its answer lost. */
  public enum Delivery { INSTEAD, AFTER }

  /** One request as the proxy sees it; {@code params} are EC2's query parameters (empty otherwise). */
  public record Request(Service service, String operation, String method, String path, Map<String, String> params) {

    public Optional<String> param(String name) {
      return Optional.ofNullable(params.get(name));
    }
  }

  /** An error exactly as the service sends it: its code, HTTP status and message. */
  public record AwsError(String code, int status, String message) {}

  public record Fault(AwsError error, Delivery delivery) {}

  /** Decides whether one request gets a fault; the first rule that answers one wins. */
  @FunctionalInterface
  public interface Rule {
    Optional<Fault> decide(Request request, Random random);
  }

  // EC2 (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
  public static final AwsError REQUEST_LIMIT_EXCEEDED = new AwsError("RequestLimitExceeded", 503, "Request limit exceeded.");
  public static final AwsError EC2_INTERNAL_ERROR = new AwsError("InternalError", 500, "An internal error has occurred.");
  public static final AwsError EC2_UNAVAILABLE = new AwsError("Unavailable", 503, "The server is overloaded and can't handle the request.");
  /** The most common launch failure at scale; EC2 sends it with HTTP 500 (its server errors' table). */
  public static final String INSUFFICIENT_INSTANCE_CAPACITY = "InsufficientInstanceCapacity";
  // S3 (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
  public static final AwsError SLOW_DOWN = new AwsError("SlowDown", 503, "Please reduce your request rate.");
  public static final AwsError S3_INTERNAL_ERROR = new AwsError("InternalError", 500, "We encountered an internal error. Please try again.");
  // DynamoDB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
  public static final AwsError DYNAMODB_THROTTLING = new AwsError("ThrottlingException", 400, "Rate of requests exceeds the allowed throughput.");
  public static final AwsError PROVISIONED_THROUGHPUT_EXCEEDED = new AwsError("ProvisionedThroughputExceededException", 400,
      "The level of configured provisioned throughput for the table was exceeded.");
  public static final AwsError DYNAMODB_INTERNAL_ERROR = new AwsError("InternalServerError", 500, "Internal server error");

  /** The errors each service answers a struggling caller with. */
  public static final Map<Service, List<AwsError>> TYPICAL =
      Map.of(
          Service.EC2, List.of(REQUEST_LIMIT_EXCEEDED, EC2_INTERNAL_ERROR, EC2_UNAVAILABLE),
          Service.S3, List.of(SLOW_DOWN, S3_INTERNAL_ERROR),
          Service.DYNAMODB, List.of(DYNAMODB_THROTTLING, PROVISIONED_THROUGHPUT_EXCEEDED, DYNAMODB_INTERNAL_ERROR));

  private static final Pattern SCOPE = Pattern.compile("Credential=[^/]+/[0-9]{8}/[^/]+/([a-z0-9-]+)/aws4_request");
  private static final Pattern INSTANCE_ID = Pattern.compile("<instanceId>(i-[0-9a-f]+)</instanceId>");
  private static final Set<String> UNFORWARDED_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding", "keep-alive");

  private final URI target;
  private final Random random;
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(32);
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  private final Map<String, Instant> launched = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> faults = new ConcurrentHashMap<>();
  private volatile Duration visibilityLag = Duration.ZERO;

  /** A proxy on a free loopback port in front of {@code target}, faults drawn from {@code seed}. */
  public FaultProxy(URI target, long seed) {
    this.target = target;
    this.random = new Random(seed);
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    } catch (IOException e) {
      throw new IllegalStateException("cannot bind a loopback port", e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  /** In front of the tests' moto. */
  public static FaultProxy forMoto(long seed) {
    return new FaultProxy(Moto.endpoint(), seed);
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Adds a rule, tried after those added before. */
  public FaultProxy rule(Rule rule) {
    rules.add(rule);
    return this;
  }

  /** A {@code share} (0..1) of {@code service}'s requests fail with one of {@code errors}, picked at random. */
  public static Rule share(Service service, double share, List<AwsError> errors, Delivery delivery) {
    return (request, random) ->
        request.service() == service && random.nextDouble() < share
            ? Optional.of(new Fault(errors.get(random.nextInt(errors.size())), delivery))
            : Optional.empty();
  }

  /**
   * EC2 has no capacity for {@code instanceType} on that market: a RunInstances asking for it
   * (its {@code InstanceType}, and {@code InstanceMarketOptions.MarketType=spot} or not) is
   * refused with {@code code} (e.g. {@link #INSUFFICIENT_INSTANCE_CAPACITY}, 500;
   * {@code SpotMaxPriceTooLow}, 400) and AWS's wording, instead of happening.
   */
  public static Rule noCapacity(String instanceType, boolean spot, String code, int status) {
    String market = spot ? "Spot" : "On-Demand";
    AwsError error = new AwsError(code, status, "We currently do not have sufficient " + instanceType + " capacity ("
        + market + ") in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity.");
    return (request, random) ->
        request.service() == Service.EC2
            && "RunInstances".equals(request.operation())
            && request.param("InstanceType").filter(instanceType::equals).isPresent()
            && request.param("InstanceMarketOptions.MarketType").filter("spot"::equals).isPresent() == spot
            ? Optional.of(new Fault(error, Delivery.INSTEAD))
            : Optional.empty();
  }

  /** {@code InsufficientInstanceCapacity} (HTTP 500) for that type on that market. */
  public static Rule noCapacity(String instanceType, boolean spot) {
    return noCapacity(instanceType, spot, INSUFFICIENT_INSTANCE_CAPACITY, 500);
  }

  /** Every request seen whose operation is {@code operation} (EC2's parameters included), in order; changes nothing. */
  public static Rule record(String operation, List<Request> into) {
    return (request, random) -> {
      if (operation.equals(request.operation())) {
        into.add(request);
      }
      return Optional.empty();
    };
  }

  /** {@code share} of every EC2, S3 and DynamoDB request fails with that service's typical errors, instead of happening. */
  public FaultProxy failEverywhere(double share) {
    for (Service service : List.of(Service.EC2, Service.S3, Service.DYNAMODB)) {
      rule(share(service, share, TYPICAL.get(service), Delivery.INSTEAD));
    }
    return this;
  }

  /** Instances are missing from DescribeInstances for {@code lag} after RunInstances answered. */
  public FaultProxy hideNewInstancesFor(Duration lag) {
    visibilityLag = lag;
    return this;
  }

  /** Requests seen, by "SERVICE Operation". */
  public Map<String, Integer> requests() {
    return counts(requests);
  }

  /** Faults injected, by "SERVICE Operation". */
  public Map<String, Integer> faults() {
    return counts(faults);
  }

  public int faultCount() {
    return faults.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  // ------------------------------------------------------------------ one request

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Request request = describe(exchange, body);
      if (request.service() == Service.OTHER && request.path().startsWith("/moto-api")) {
        relay(exchange, forward(exchange, body));
        return;
      }
      String key = request.service() + " " + request.operation();
      requests.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      Optional<Fault> fault = decide(request);
      if (fault.isPresent() && fault.get().delivery() == Delivery.INSTEAD) {
        faults.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        answer(exchange, request.service(), fault.get().error());
        return;
      }
      Answer answer = forward(exchange, body);
      if (fault.isPresent()) {
        faults.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        answer(exchange, request.service(), fault.get().error());
        return;
      }
      relay(exchange, see(request, answer));
    }
  }

  private Optional<Fault> decide(Request request) {
    synchronized (random) {
      for (Rule rule : rules) {
        Optional<Fault> fault = rule.decide(request, random);
        if (fault.isPresent()) {
          return fault;
        }
      }
      return Optional.empty();
    }
  }

  private Request describe(HttpExchange exchange, byte[] body) {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    String authorization = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).orElse("");
    Matcher scope = SCOPE.matcher(authorization);
    String signedFor = scope.find() ? scope.group(1) : "";
    String amzTarget = Optional.ofNullable(exchange.getRequestHeaders().getFirst("X-Amz-Target")).orElse("");
    String operationOfTarget = amzTarget.substring(amzTarget.indexOf('.') + 1);
    return switch (signedFor) {
      case "ec2" -> {
        Map<String, String> params = form(exchange.getRequestURI().getRawQuery());
        params.putAll(form(new String(body, StandardCharsets.UTF_8)));
        yield new Request(Service.EC2, params.getOrDefault("Action", "?"), method, path, params);
      }
      case "dynamodb" -> new Request(Service.DYNAMODB, operationOfTarget, method, path, Map.of());
      case "secretsmanager" -> new Request(Service.SECRETS_MANAGER, operationOfTarget, method, path, Map.of());
      case "s3", "" -> path.startsWith("/moto-api")
          ? new Request(Service.OTHER, "moto-api", method, path, Map.of())
          : new Request(Service.S3, s3Operation(method, path), method, path, Map.of());
      default -> new Request(Service.OTHER, signedFor, method, path, Map.of());
    };
  }

  private static String s3Operation(String method, String path) {
    boolean object = path.replaceFirst("^/", "").contains("/");
    return switch (method) {
      case "GET" -> object ? "GetObject" : "ListObjects";
      case "HEAD" -> object ? "HeadObject" : "HeadBucket";
      case "PUT" -> object ? "PutObject" : "CreateBucket";
      case "DELETE" -> object ? "DeleteObject" : "DeleteBucket";
      default -> method;
    };
  }

  private static Map<String, String> form(String encoded) {
    Map<String, String> params = new LinkedHashMap<>();
    if (encoded == null || encoded.isBlank()) {
      return params;
    }
    for (String pair : encoded.split("&")) {
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.put(name, value);
    }
    return params;
  }

  // ------------------------------------------------------------------ forwarding

  private record Answer(int status, Map<String, List<String>> headers, byte[] body) {}

  private Answer forward(HttpExchange exchange, byte[] body) throws IOException {
    URI uri = target.resolve(exchange.getRequestURI().getRawPath()
        + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
        .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    exchange.getRequestHeaders().forEach((name, values) -> {
      if (!UNFORWARDED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        values.forEach(v -> request.header(name, v));
      }
    });
    try {
      HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Answer(response.statusCode(), response.headers().map(), response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted forwarding to " + uri, e);
    }
  }

  private static void relay(HttpExchange exchange, Answer answer) throws IOException {
    answer.headers().forEach((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!lower.equals(":status") && !UNFORWARDED_HEADERS.contains(lower) && !lower.equals("date")) {
        exchange.getResponseHeaders().put(name, values);
      }
    });
    send(exchange, answer.status(), answer.body());
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    boolean noBody = body.length == 0 || "HEAD".equals(exchange.getRequestMethod()) || status == 204 || status == 304;
    exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
    if (!noBody) {
      exchange.getResponseBody().write(body);
    }
  }

  /** AWS's own error response for {@code service}, as the SDK expects to parse it. */
  private static void answer(HttpExchange exchange, Service service, AwsError error) throws IOException {
    String requestId = UUID.randomUUID().toString();
    String body;
    switch (service) {
      case EC2 -> {
        exchange.getResponseHeaders().set("Content-Type", "text/xml;charset=UTF-8");
        body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + error.code()
            + "</Code><Message>" + error.message() + "</Message></Error></Errors><RequestID>" + requestId
            + "</RequestID></Response>";
      }
      case DYNAMODB -> {
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
        exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
        body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#" + error.code() + "\",\"message\":\"" + error.message() + "\"}";
      }
      case SECRETS_MANAGER -> {
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
        body = "{\"__type\":\"" + error.code() + "\",\"message\":\"" + error.message() + "\"}";
      }
      default -> {
        exchange.getResponseHeaders().set("Content-Type", "application/xml");
        exchange.getResponseHeaders().set("x-amz-request-id", requestId.substring(0, 16).toUpperCase(Locale.ROOT));
        body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + error.code() + "</Code><Message>"
            + error.message() + "</Message><RequestId>" + requestId + "</RequestId><HostId>" + requestId
            + "</HostId></Error>";
      }
    }
    send(exchange, error.status(), body.getBytes(StandardCharsets.UTF_8));
  }

  // ------------------------------------------------------------------ eventual consistency

  /** Remembers launches, and takes young instances out of DescribeInstances answers. */
  private Answer see(Request request, Answer answer) {
    if (request.service() != Service.EC2 || answer.status() != 200) {
      return answer;
    }
    if ("RunInstances".equals(request.operation())) {
      Matcher ids = INSTANCE_ID.matcher(new String(answer.body(), StandardCharsets.UTF_8));
      while (ids.find()) {
        launched.putIfAbsent(ids.group(1), Instant.now());
      }
      return answer;
    }
    if ("DescribeInstances".equals(request.operation()) && !visibilityLag.isZero()) {
      Instant visibleBefore = Instant.now().minus(visibilityLag);
      Set<String> young = Set.copyOf(launched.entrySet().stream().filter(e -> e.getValue().isAfter(visibleBefore)).map(Map.Entry::getKey).toList());
      if (!young.isEmpty()) {
        return new Answer(answer.status(), withoutContentLength(answer.headers()), DescribeInstancesXml.withoutInstances(answer.body(), young));
      }
    }
    return answer;
  }

  private static Map<String, List<String>> withoutContentLength(Map<String, List<String>> headers) {
    Map<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    copy.putAll(headers);
    copy.remove("content-length");
    return copy;
  }

  private static Map<String, Integer> counts(Map<String, AtomicInteger> counters) {
    Map<String, Integer> copy = new TreeMap<>();
    counters.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }
}
