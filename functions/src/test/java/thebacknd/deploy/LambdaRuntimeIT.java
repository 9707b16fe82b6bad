package thebacknd.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.secretsmanager.model.CreateSecretRequest;
import thebacknd.Json;
import thebacknd.testing.Ec2Fixture;
import thebacknd.testing.Moto;
import thebacknd.testing.Poll;
import thebacknd.testing.TestEnv;
import thebacknd.vm.KillCodes;

/**
 * Each function run the way Lambda runs it: the AWS Lambda Runtime Interface Emulator
 * (aws-lambda-rie) starts the Java runtime interface client (aws-lambda-java-runtime-interface-
 * client, what the java21 runtime runs) with the function's Handler string from template.yaml,
 * over the jar unpacked as Lambda unpacks it into /var/task. Each is invoked with an API Gateway
 * HTTP API v2 event, a direct payload and (destroy-old) the exact input of its schedule, against
 * moto, with the kill-code key read from a Secrets Manager secret as in AWS. This proves the
 * handler names and the event parsing, and measures init and first-invoke times, written to
 * functions/target/lambda-rie-timings.txt.
 *
 * <p>Not emulated: Lambda's CPU share (proportional to memory; here the JVM has the whole
 * machine), arm64 (this runs on the machine's architecture), java21 (this runs on the JDK that
 * runs the tests), and SnapStart (the RIE always cold-starts). What SnapStart's priming moves from
 * the first request into the snapshot is measured by running create, list and destroy-all once
 * more with {@code THEBACKND_PRIME_AT_INIT=true}: the priming then runs during init.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LambdaRuntimeIT {

  private static final String OUTPUT_BUCKET = "thebacknd-output";
  private static final String CALLER = "arn:aws:iam::123456789012:user/developer";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern INIT_REPORT = Pattern.compile("INIT REPORT\\(durationMs: ([0-9.]+)\\)");

  private static Path rie;
  private static Path runtimeClasspath;
  private static Path taskRoot;
  private static JsonNode deployed;
  private static String secret;
  private static String secretArn;
  private static Ec2Fixture ec2;
  private static final List<String> timings = new ArrayList<>();

  // What the lifecycle below passes from one function to the next.
  private static String firstVmId;
  private static String firstInstanceId;

  @BeforeAll
  static void prepare() throws Exception {
    // Installs the emulator and the client when missing (dev/setup-rie; nothing when present).
    DeployTools.run(DeployTools.repo().resolve("dev/setup-rie").toString());
    rie = DeployTools.repo().resolve(".run/rie/bin/aws-lambda-rie");
    runtimeClasspath = DeployTools.repo().resolve(".run/rie/runtime");
    taskRoot = unpackLikeLambda(Path.of(System.getProperty("thebacknd.jar",
        DeployTools.repo().resolve("functions/target/thebacknd-functions.jar").toString())));
    deployed = Json.parse(DeployTools.run(DeployTools.python(), "infra/template-json", "--transform", "template.yaml").out());

    Moto.reset();
    ec2 = new Ec2Fixture();
    // A plain-string secret, as the template's GenerateSecretString makes it.
    secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(32));
    Moto.clients().s3().createBucket(r -> r.bucket(OUTPUT_BUCKET));
    secretArn = Moto.clients().secretsManager()
        .createSecret(CreateSecretRequest.builder().name("thebacknd-kill-code").secretString(secret).build()).arn();
  }

  @AfterAll
  static void writeTimings() throws IOException {
    String text = String.join("\n", timings) + "\n";
    Files.writeString(DeployTools.targetDir().resolve("lambda-rie-timings.txt"), text);
    System.out.println("Lambda runtime (aws-lambda-rie + Java RIC), cold start per function:\n" + text);
  }

  @Test
  @Order(1)
  void create() throws Exception {
    try (Function f = start("CreateHandler")) {
      JsonNode http = f.invokeHttp("POST", "/create", "{}");
      assertEquals(201, http.path("statusCode").asInt(), http.toString());
      JsonNode vm = Json.parse(http.path("body").asText()).path("vm");
      assertEquals("thebacknd-1", vm.path("name").asText());
      assertEquals(CALLER, vm.path("owner").asText(), "the caller API Gateway authenticated owns it");
      firstVmId = vm.path("vm_id").asText();
      firstInstanceId = vm.path("instance_id").asText();

      JsonNode direct = Json.parse(f.invoke("{\"ttl_minutes\": 30}"));
      assertEquals("thebacknd-2", direct.path("vm").path("name").asText(), direct.toString());
      JsonNode refused = Json.parse(f.invoke("{\"ttl_minutes\": 0}"));
      assertEquals("ttl_out_of_range", refused.path("error").path("code").asText(), refused.toString());

      // What the VM gets: launched with our tag, its name, and the API URL in its user-data.
      Instance launched = ec2.all().get(firstInstanceId);
      assertEquals("true", Ec2Fixture.tags(launched).get("thebacknd"));
      assertEquals("thebacknd-1", Ec2Fixture.tags(launched).get("Name"));
    }
  }

  @Test
  @Order(2)
  void list() throws Exception {
    try (Function f = start("ListHandler")) {
      JsonNode http = f.invokeHttp("GET", "/list", null);
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      assertEquals(2, Json.parse(http.path("body").asText()).path("vms").size());
      assertEquals(2, Json.parse(f.invoke("{}")).path("vms").size());
      assertEquals(405, f.invokeHttp("POST", "/list", "{}").path("statusCode").asInt());
    }
  }

  @Test
  @Order(3)
  void report() throws Exception {
    try (Function f = start("ReportHandler")) {
      String body = Json.write(Json.object().put("vm_id", firstVmId).put("vm_killcode", killCode(firstVmId)).put("phase", "booting"));
      JsonNode http = f.invokeHttp("POST", "/report", body);
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      assertEquals("booting", Ec2Fixture.tags(ec2.all().get(firstInstanceId)).get("thebacknd:phase"));

      String forged = Json.write(Json.object().put("vm_id", firstVmId).put("vm_killcode", "0".repeat(64)).put("phase", "failed"));
      JsonNode refused = Json.parse(f.invoke(forged));
      assertEquals("bad_kill_code", refused.path("error").path("code").asText(), refused.toString());
      assertEquals("booting", Ec2Fixture.tags(ec2.all().get(firstInstanceId)).get("thebacknd:phase"));
    }
  }

  @Test
  @Order(4)
  void output() throws Exception {
    try (Function f = start("OutputHandler")) {
      String chunk = Json.write(Json.object().put("vm_id", firstVmId).put("vm_killcode", killCode(firstVmId))
          .put("seq", 0).put("text", "hello from the VM\n"));
      JsonNode http = f.invokeHttp("POST", "/output", chunk);
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      assertEquals(0, Json.parse(http.path("body").asText()).path("seq").asInt());
      String forged = Json.write(Json.object().put("vm_id", firstVmId).put("vm_killcode", "0".repeat(64)).put("seq", 1).put("text", "x"));
      assertEquals(403, f.invokeHttp("POST", "/output", forged).path("statusCode").asInt());
      // A 64 KiB chunk JSON-escaped is far over 16 KiB: this route alone takes it.
      String big = Json.write(Json.object().put("vm_id", firstVmId).put("vm_killcode", killCode(firstVmId))
          .put("seq", 1).put("text", "\u0001".repeat(64 * 1024)).put("final", true));
      assertEquals(200, f.invokeHttp("POST", "/output", big).path("statusCode").asInt());
    }
  }

  @Test
  @Order(5)
  void logs() throws Exception {
    try (Function f = start("LogsHandler")) {
      JsonNode http = f.invokeHttp("GET", "/logs", Map.of("name", "thebacknd-1"), null);
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      JsonNode logs = Json.parse(http.path("body").asText());
      assertEquals("hello from the VM\n", logs.path("chunks").get(0).path("text").asText(), logs.toString());
      assertEquals(firstVmId, logs.path("vm_id").asText());
      // Directly invoked, the query parameters are the payload: after chunk 0 comes chunk 1.
      JsonNode direct = Json.parse(f.invoke("{\"vm_id\": \"" + firstVmId + "\", \"after\": 0}"));
      assertEquals(1, direct.path("chunks").get(0).path("seq").asInt(), "the chunk after 0");
      assertEquals(64 * 1024, direct.path("chunks").get(0).path("text").asText().length(), "the 64 KiB chunk");
      assertEquals(404, f.invokeHttp("GET", "/logs", Map.of("name", "thebacknd-9"), null).path("statusCode").asInt());
    }
  }

  @Test
  @Order(6)
  void console() throws Exception {
    try (Function f = start("ConsoleHandler")) {
      JsonNode http = f.invokeHttp("GET", "/console", Map.of("name", "thebacknd-1"), null);
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      assertEquals(firstInstanceId, Json.parse(http.path("body").asText()).path("instance_id").asText());
    }
  }

  @Test
  @Order(6)
  void extend() throws Exception {
    try (Function f = start("ExtendHandler")) {
      JsonNode http = f.invokeHttp("POST", "/extend", "{\"name\": \"thebacknd-1\", \"ttl_minutes\": 120}");
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      String deadline = Json.parse(http.path("body").asText()).path("vm").path("expires_at").asText();
      assertEquals(deadline, Ec2Fixture.tags(ec2.all().get(firstInstanceId)).get("thebacknd:expires-at"));
      JsonNode refused = Json.parse(f.invoke("{\"name\": \"thebacknd-1\", \"ttl_minutes\": 100000}"));
      assertEquals("ttl_out_of_range", refused.path("error").path("code").asText(), refused.toString());
    }
  }

  @Test
  @Order(7)
  void destroy() throws Exception {
    try (Function f = start("DestroyHandler")) {
      JsonNode dry = Json.parse(f.invoke("{\"name\": \"thebacknd-2\", \"dry_run\": true}"));
      assertEquals(1, dry.path("destroyed").size(), dry.toString());
      assertTrue(dry.path("dry_run").asBoolean());
      JsonNode http = f.invokeHttp("POST", "/destroy", "{\"name\": \"thebacknd-2\"}");
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      assertEquals(1, ec2.liveIds().size(), "thebacknd-2 is gone, thebacknd-1 is not");
    }
  }

  @Test
  @Order(8)
  void destroySelf() throws Exception {
    try (Function f = start("DestroySelfHandler")) {
      String body = Json.write(Json.object().put("vm_id", firstVmId).put("vm_killcode", killCode(firstVmId)));
      JsonNode http = f.invokeHttp("POST", "/destroy-self", body);
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      assertEquals(List.of(firstInstanceId), List.of(Json.parse(http.path("body").asText()).path("terminated").get(0).asText()));
      JsonNode again = Json.parse(f.invoke(body));
      assertEquals(0, again.path("terminated").size(), "already gone: " + again);
    }
  }

  @Test
  @Order(9)
  void destroyOldOnItsSchedule() throws Exception {
    String expired = ec2.launchOurs(7, Instant.now().minusSeconds(60));
    String current = ec2.launchOurs(8, Instant.now().plusSeconds(3600));
    try (Function f = start("DestroyOldHandler")) {
      JsonNode dry = Json.parse(f.invoke("{\"dry_run\": true}"));
      assertEquals(1, dry.path("destroyed").size(), dry.toString());
      // The input the template's schedule sends, its context attributes filled in as Scheduler does.
      String input = scheduleInput()
          .replace("<aws.scheduler.schedule-arn>", "arn:aws:scheduler:us-east-1:123456789012:schedule/default/thebacknd-destroy-old")
          .replace("<aws.scheduler.scheduled-time>", Instant.now().toString())
          .replace("<aws.scheduler.attempt-number>", "1");
      JsonNode scheduled = Json.parse(f.invoke(input));
      assertEquals(1, scheduled.path("destroyed").size(), scheduled.toString());
      assertEquals(false, scheduled.path("dry_run").asBoolean(true));
      assertEquals(Set.of(current), ec2.liveIds(), "only the expired VM was terminated");
      assertEquals(200, f.invokeHttp("POST", "/destroy-old", "{}").path("statusCode").asInt());
    }
    assertFalse(ec2.liveIds().contains(expired));
  }

  /**
   * create, list and destroy-all again, their SnapStart priming run at init (as before the
   * snapshot): it succeeds against its canned AWS, touches nothing in moto, and the real requests
   * that follow work as before.
   */
  @Test
  @Order(11)
  void primedFunctionsWork() throws Exception {
    // The emulator initialises a function at its first invocation: the priming has run by then.
    try (Function f = start("CreateHandler", true)) {
      JsonNode http = f.invokeHttp("POST", "/create", "{}");
      assertEquals(201, http.path("statusCode").asInt(), http.toString());
      assertTrue(f.log().contains("SnapStart priming of /create: HTTP [201, 201]"), f.log());
      assertEquals(1, ec2.liveIds().size(), "the request launched one VM, the priming none");
    }
    try (Function f = start("ListHandler", true)) {
      assertEquals(1, Json.parse(f.invokeHttp("GET", "/list", null).path("body").asText()).path("vms").size());
      assertTrue(f.log().contains("SnapStart priming of /list: HTTP [200, 200]"), f.log());
    }
    try (Function f = start("DestroyAllHandler", true)) {
      JsonNode destroyed = Json.parse(f.invokeHttp("POST", "/destroy-all", "{}").path("body").asText());
      assertEquals(1, destroyed.path("destroyed").size(), "the VM was there for the request: the priming terminated nothing");
      assertTrue(f.log().contains("SnapStart priming of /destroy-all: HTTP [200, 200]"), f.log());
      assertEquals(Set.of(), ec2.liveIds());
    }
  }

  @Test
  @Order(10)
  void destroyAll() throws Exception {
    try (Function f = start("DestroyAllHandler")) {
      JsonNode dry = Json.parse(f.invoke("{\"dry_run\": true}"));
      assertEquals(1, dry.path("destroyed").size(), dry.toString());
      JsonNode http = f.invokeHttp("POST", "/destroy-all", "{}");
      assertEquals(200, http.path("statusCode").asInt(), http.toString());
      assertEquals(Set.of(), ec2.liveIds());
    }
  }

  // ------------------------------------------------------------------ the runtime

  /** One function: the emulator on a free loopback port, running the client with the handler. */
  private static final class Function implements AutoCloseable {
    private final String name;
    private final int memoryMb;
    private final Process process;
    private final URI invocations;
    private final Path log;
    private final List<Long> wallMs = new ArrayList<>();

    Function(String name, String handler, int memoryMb, int timeoutSeconds, Map<String, String> env) throws IOException {
      this.name = name + ("true".equals(env.get("THEBACKND_PRIME_AT_INIT")) ? " (primed)" : "");
      this.memoryMb = memoryMb;
      int port = freePort();
      int runtimeApiPort = freePort();
      log = DeployTools.targetDir().resolve("lambda-rie-" + this.name.replace(" (primed)", "-primed") + ".log");
      String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
      List<String> command = List.of(
          rie.toString(),
          "--runtime-interface-emulator-address", "127.0.0.1:" + port,
          "--runtime-api-address", "127.0.0.1:" + runtimeApiPort,
          java,
          // The JVM sizes its heap from the function's memory, as in Lambda, not from this machine's.
          "-XX:MaxRAM=" + memoryMb + "m",
          "-XX:+UseSerialGC",
          "-cp", runtimeClasspath + "/*",
          "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
          handler);
      ProcessBuilder builder = new ProcessBuilder(command)
          .directory(taskRoot.toFile()) // the client loads the function's code from its working directory
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      Map<String, String> e = DeployTools.safeEnvironment(builder.environment());
      e.putAll(env);
      e.put("AWS_LAMBDA_FUNCTION_NAME", name);
      e.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", String.valueOf(memoryMb));
      e.put("AWS_LAMBDA_FUNCTION_TIMEOUT", String.valueOf(timeoutSeconds));
      e.put("AWS_LAMBDA_LOG_FORMAT", "JSON"); // what LoggingConfig LogFormat: JSON sets
      process = builder.start();
      invocations = URI.create("http://127.0.0.1:" + port + "/2015-03-31/functions/function/invocations");
      Poll.until(Duration.ofSeconds(20), () -> listening(port), "aws-lambda-rie to listen on " + port);
    }

    /** What the function printed so far (its init included, once it was invoked). */
    String log() throws IOException {
      return Files.readString(log);
    }

    /** Invokes with a raw payload; returns the function's answer. */
    String invoke(String payload) throws Exception {
      long start = System.nanoTime();
      HttpResponse<String> response = HTTP.send(
          HttpRequest.newBuilder(invocations).timeout(Duration.ofSeconds(90))
              .POST(HttpRequest.BodyPublishers.ofString(payload)).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      wallMs.add((System.nanoTime() - start) / 1_000_000);
      assertEquals(200, response.statusCode(), "the emulator answered " + response.body() + "\nlog: " + log);
      assertFalse(response.body().contains("\"errorType\""), "the function failed: " + response.body() + "\nlog: " + log);
      return response.body();
    }

    /** Invokes with an API Gateway HTTP API payload format 2.0 event. */
    JsonNode invokeHttp(String method, String path, String body) throws Exception {
      return invokeHttp(method, path, Map.of(), body);
    }

    JsonNode invokeHttp(String method, String path, Map<String, String> query, String body) throws Exception {
      ObjectNode event = Json.object()
          .put("version", "2.0")
          .put("routeKey", method + " " + path)
          .put("rawPath", path)
          .put("rawQueryString", String.join("&", query.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
      if (!query.isEmpty()) {
        ObjectNode parameters = event.putObject("queryStringParameters");
        query.forEach(parameters::put);
      }
      event.putObject("headers").put("content-type", "application/json").put("host", "abc123.execute-api.us-east-1.amazonaws.com");
      ObjectNode context = event.putObject("requestContext")
          .put("accountId", "123456789012").put("apiId", "abc123").put("stage", "$default")
          .put("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef").put("routeKey", method + " " + path);
      context.putObject("http").put("method", method).put("path", path).put("protocol", "HTTP/1.1").put("sourceIp", "192.0.2.1");
      if (!List.of("/report", "/destroy-self", "/output").contains(path)) {
        // What API Gateway's IAM authorizer adds on the routes that require it.
        context.putObject("authorizer").putObject("iam").put("accountId", "123456789012").put("userArn", CALLER);
      }
      if (body != null) {
        event.put("body", body);
      }
      event.put("isBase64Encoded", false);
      return Json.parse(invoke(Json.write(event)));
    }

    @Override
    public void close() throws Exception {
      Optional<Long> peakRssKb = process.descendants().filter(p -> p.info().command().orElse("").endsWith("java"))
          .map(p -> peakRssKb(p.pid())).flatMap(Optional::stream).findFirst();
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
      String output = Files.readString(log);
      Matcher init = INIT_REPORT.matcher(output);
      assertTrue(init.find(), "no INIT REPORT in " + log);
      double initMs = Double.parseDouble(init.group(1));
      timings.add(String.format(
          "%-28s memory %4d MB  init %5.0f ms  first invoke %5.0f ms  second invoke %4d ms  peak RSS %s",
          name, memoryMb, initMs, wallMs.get(0) - initMs, wallMs.size() > 1 ? wallMs.get(1) : -1,
          peakRssKb.map(kb -> (kb / 1024) + " MB").orElse("n/a")));
    }
  }

  private static Function start(String handlerClass) throws IOException {
    return start(handlerClass, false);
  }

  private static Function start(String handlerClass, boolean primedAtInit) throws IOException {
    String handler = "thebacknd.edge." + handlerClass + "::handleRequest";
    Map.Entry<String, JsonNode> function = new TreeMap<String, JsonNode>(functionsByHandler()).entrySet().stream()
        .filter(e -> e.getKey().equals(handler)).findFirst()
        .orElseThrow(() -> new AssertionError("template.yaml has no function with Handler " + handler));
    JsonNode p = function.getValue().path("Properties");
    Map<String, String> env = TestEnv.base();
    env.remove("THEBACKND_SECRET");
    env.put("THEBACKND_SECRET_ARN", secretArn);
    env.put("THEBACKND_VERIFY_CACHE", "true"); // nothing here names a store path: no closure check runs
    env.put("THEBACKND_OUTPUT_BUCKET", OUTPUT_BUCKET);
    if (primedAtInit) {
      env.put("THEBACKND_PRIME_AT_INIT", "true");
    }
    return new Function(handlerClass, handler, p.path("MemorySize").asInt(), p.path("Timeout").asInt(), env);
  }

  private static Map<String, JsonNode> functionsByHandler() {
    Map<String, JsonNode> found = new TreeMap<>();
    deployed.path("Resources").fields().forEachRemaining(e -> {
      if ("AWS::Lambda::Function".equals(e.getValue().path("Type").asText())) {
        found.put(e.getValue().path("Properties").path("Handler").asText(), e.getValue());
      }
    });
    return found;
  }

  private static String scheduleInput() {
    // destroy-old's schedule (a warm pool's top-up has one of its own).
    List<String> inputs = new ArrayList<>();
    deployed.path("Resources").forEach(r -> {
      if ("AWS::Scheduler::Schedule".equals(r.path("Type").asText())
          && r.path("Properties").path("Name").toString().contains("-destroy-old")) {
        inputs.add(r.path("Properties").path("Target").path("Input").asText());
      }
    });
    assertEquals(1, inputs.size(), "one destroy-old schedule");
    return inputs.get(0);
  }

  private static String killCode(String vmId) {
    return new KillCodes(() -> List.of(secret)).codeFor(vmId);
  }

  /** The jar unpacked into a directory, as Lambda unpacks a deployment package into /var/task. */
  private static Path unpackLikeLambda(Path jar) throws IOException {
    Path dir = DeployTools.targetDir().resolve("lambda-task");
    if (Files.exists(dir)) {
      try (var walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(dir);
    try (InputStream in = Files.newInputStream(jar); ZipInputStream zip = new ZipInputStream(in)) {
      for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
        Path target = dir.resolve(entry.getName()).normalize();
        if (!target.startsWith(dir)) {
          throw new IOException("zip entry outside the task root: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(zip, target);
        }
      }
    }
    return dir;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<Long> peakRssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Optional.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone: no number rather than a wrong one
    }
    return Optional.empty();
  }
}
