package thebacknd.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import thebacknd.Json;
import thebacknd.config.Config;
import thebacknd.edge.Route;
import thebacknd.vm.VmTags;

/**
 * template.yaml as CloudFormation deploys it (after the SAM transform, run offline by
 * infra/template-json with the same library CloudFormation uses), checked against the code: every
 * handler exists in the built jar, every route reaches its function with the right auth, and each
 * function's role grants exactly the calls its code makes, under the conditions that keep it to
 * our instances. A change that widens a permission or drops a condition fails here.
 */
class TemplateIT {

  private static final String EC2_DESCRIBE = "ec2:DescribeInstances";
  private static final String RELEASE = "dynamodb:DeleteItem";
  /** A name's lease, read consistently: which VM the name stands for (vm/Names.java). */
  private static final String RESOLVE_NAME = "dynamodb:GetItem";
  private static final String READ_LEASES = "dynamodb:Scan";
  /** When a VM reported failed (vm/VmService.java's report); its deadline moves with it. */
  private static final String FAILED_AT_TAG = "thebacknd:failed-at";
  private static final Set<String> LOGS = Set.of("logs:CreateLogStream", "logs:PutLogEvents");

  /** Launching a VM (create, and the pool's top-up): the fleet, the launch, the kill code, a name. */
  private static final Set<String> LAUNCH =
      Set.of(
          EC2_DESCRIBE,
          "ec2:RunInstances",
          "ec2:CreateTags",
          "ec2:TerminateInstances",
          "iam:PassRole",
          "secretsmanager:GetSecretValue",
          "dynamodb:Scan",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          RELEASE);

  /**
   * What each function's code calls on AWS (vm/Fleet.java, vm/Leases.java, vm/Names.java,
   * vm/VmService.java, vm/Secrets.java, output/OutputStore.java), by the name of its {@link Route}
   * (names, so that this reads the same whichever routes the enum has: a route without an entry
   * fails eachFunctionHasItsOwnRole…).
   */
  private static final Map<String, Set<String>> CALLS =
      Map.ofEntries(
          // The leases too: a VM whose launch its lease records is listed before EC2 shows it.
          Map.entry("LIST", Set.of(EC2_DESCRIBE, READ_LEASES)),
          // A pooled VM is claimed on its lease and re-tagged (CreateTags, conditioned apart).
          Map.entry(
              "CREATE",
              Stream.concat(LAUNCH.stream(), Stream.of("s3:GetObject", "s3:ListBucket")).collect(Collectors.toUnmodifiableSet())),
          Map.entry("DESTROY", Set.of(EC2_DESCRIBE, "ec2:TerminateInstances", RELEASE, RESOLVE_NAME)),
          // The leases read too: the VMs they answer with carry their timelines.
          Map.entry("DESTROY_ALL", Set.of(EC2_DESCRIBE, "ec2:TerminateInstances", RELEASE, READ_LEASES)),
          Map.entry("DESTROY_OLD", Set.of(EC2_DESCRIBE, "ec2:TerminateInstances", RELEASE, READ_LEASES)),
          Map.entry("DESTROY_SELF", Set.of(EC2_DESCRIBE, "ec2:TerminateInstances", "secretsmanager:GetSecretValue", RELEASE)),
          // Moves the deadline tag; no kill code, no termination, and the lease only read.
          Map.entry("EXTEND", Set.of(EC2_DESCRIBE, "ec2:CreateTags", RESOLVE_NAME)),
          // The timeline is stamped on the VM's lease (UpdateItem), each phase the first time.
          Map.entry("REPORT", Set.of(EC2_DESCRIBE, "ec2:CreateTags", "secretsmanager:GetSecretValue", "s3:PutObject", "dynamodb:UpdateItem")),
          // No EC2 call at all: the kill code is the whole proof, the bucket the whole effect; the
          // leases are read to refuse output of a VM that is gone (410).
          Map.entry("OUTPUT", Set.of("secretsmanager:GetSecretValue", "s3:PutObject", "s3:GetObject", "s3:ListBucket", READ_LEASES)),
          Map.entry("LOGS", Set.of(EC2_DESCRIBE, "s3:GetObject", "s3:ListBucket", RESOLVE_NAME)),
          Map.entry("CONSOLE", Set.of(EC2_DESCRIBE, "ec2:GetConsoleOutput", RESOLVE_NAME)),
          // A pooled VM reads its assignment from its own lease (by vm_id): no EC2, nothing written.
          Map.entry("CLAIM", Set.of("secretsmanager:GetSecretValue", READ_LEASES)),
          // Tops up the pool: launches exactly as create does, without the cache (no closure).
          Map.entry("POOL", LAUNCH));

  /**
   * The routes VMs call without AWS credentials (the kill code authenticates them), by route name,
   * each with its throttling parameters.
   */
  private static final Map<String, String> VM_ROUTES =
      Map.of("DESTROY_SELF", "VmRoute", "REPORT", "VmRoute", "OUTPUT", "OutputRoute", "CLAIM", "VmRoute");

  /** The only configuration the functions read (docs/reference.md, "Configuration"). */
  private static final Set<String> KNOWN_VARIABLES =
      Set.of(
          "THEBACKND_SECRET_ARN", "THEBACKND_IMAGE_ID", "THEBACKND_INSTANCE_TYPE",
          "THEBACKND_ALLOWED_INSTANCE_TYPES", "THEBACKND_TTL_MINUTES", "THEBACKND_MAX_TTL_MINUTES",
          "THEBACKND_MAX_VMS", "THEBACKND_INSTANCE_PROFILE", "THEBACKND_SUBNET_ID",
          "THEBACKND_SECURITY_GROUP_IDS", "THEBACKND_KEY_NAME", "THEBACKND_API_URL", "NIX_CACHE",
          "NIX_TRUSTED_KEY", "THEBACKND_VERIFY_CACHE", "THEBACKND_LEASES_TABLE", "THEBACKND_OUTPUT_BUCKET",
          "THEBACKND_MAX_OUTPUT_KIB", "THEBACKND_BOOT_TIMEOUT_MINUTES", "THEBACKND_SPOT_FALLBACK",
          "THEBACKND_FAILED_KEEP_MINUTES", "THEBACKND_POOL", "THEBACKND_POOL_IDLE_MINUTES",
          "THEBACKND_ALLOW_VM_BUILDS", "THEBACKND_UPSTREAM_CACHES");

  private static JsonNode source;
  private static JsonNode deployed;
  private static Path deployedFile;

  @BeforeAll
  static void render() throws Exception {
    source = Json.parse(DeployTools.run(DeployTools.python(), "infra/template-json", "template.yaml").out());
    String transformed =
        DeployTools.run(DeployTools.python(), "infra/template-json", "--transform", "template.yaml").out();
    deployed = Json.parse(transformed);
    deployedFile = DeployTools.targetDir().resolve("template-deployed.json");
    Files.writeString(deployedFile, transformed);
  }

  // ------------------------------------------------------------------ the template as a whole

  @Test
  void deployedTemplatePassesCfnLintWithoutCircularDependencies() throws Exception {
    // cfn-lint on template.yaml checks SAM resources against SAM's schema only; on the
    // transformed template it checks what CloudFormation will create, dependency cycles included.
    DeployTools.Result lint = DeployTools.runAllowingFailure(DeployTools.venvBin("cfn-lint"), deployedFile.toString());
    assertEquals(0, lint.exit(), "cfn-lint on the transformed template:\n" + lint.out() + lint.err());
  }

  @Test
  void secretIsGeneratedAsAPlainStringWithoutPunctuation() {
    JsonNode secret = resource(deployed, "KillCodeSecret");
    assertEquals("AWS::SecretsManager::Secret", secret.path("Type").asText());
    JsonNode generate = secret.path("Properties").path("GenerateSecretString");
    assertTrue(generate.path("PasswordLength").asInt() >= 32, generate.toString());
    assertTrue(generate.path("ExcludePunctuation").asBoolean(), generate.toString());
    assertTrue(generate.path("SecretStringTemplate").isMissingNode(), "a template would make it a JSON document");
    assertTrue(generate.path("GenerateStringKey").isMissingNode(), "a key would make it a JSON document");
  }

  // ------------------------------------------------------------------ functions and the jar

  @Test
  void everyHandlerIsARequestStreamHandlerInTheBuiltJar() throws Exception {
    try (URLClassLoader jar = jarLoader()) {
      for (JsonNode function : functions().values()) {
        String handler = function.path("Properties").path("Handler").asText();
        String[] parts = handler.split("::");
        assertEquals(2, parts.length, "Handler must be Class::method, got " + handler);
        Class<?> type = Class.forName(parts[0], false, jar);
        Class<?> streamHandler = Class.forName(RequestStreamHandler.class.getName(), false, jar);
        assertTrue(streamHandler.isAssignableFrom(type), handler + " is not a RequestStreamHandler");
        assertFalse(Modifier.isAbstract(type.getModifiers()), handler + " is abstract");
        type.getConstructor(); // Lambda instantiates it with no arguments
        Class<?> context = Class.forName(Context.class.getName(), false, jar);
        type.getMethod(parts[1], InputStream.class, OutputStream.class, context);
      }
    }
  }

  @Test
  void everyHandlerInTheJarHasOneFunctionInTheTemplate() throws Exception {
    Set<String> inTemplate = new TreeSet<>();
    functions().values().forEach(f -> assertTrue(inTemplate.add(f.path("Properties").path("Handler").asText()), "two functions share a handler"));
    Set<String> inJar = new TreeSet<>();
    try (URLClassLoader jar = jarLoader(); JarFile file = new JarFile(jarPath().toFile())) {
      Class<?> streamHandler = Class.forName(RequestStreamHandler.class.getName(), false, jar);
      for (String entry : file.stream().map(e -> e.getName()).toList()) {
        if (entry.startsWith("thebacknd/") && entry.endsWith("Handler.class") && !entry.contains("$")) {
          Class<?> type = Class.forName(entry.replace('/', '.').replace(".class", ""), false, jar);
          if (streamHandler.isAssignableFrom(type) && !Modifier.isAbstract(type.getModifiers())) {
            inJar.add(type.getName() + "::handleRequest");
          }
        }
      }
    }
    assertEquals(inJar, inTemplate);
    assertEquals(Route.values().length, inTemplate.size(), "one function per endpoint");
  }

  @Test
  void theJarFitsLambdasDeploymentPackageLimit() throws Exception {
    // Lambda unpacks the package into /var/task: at most 250 MB unzipped (uploaded through S3,
    // as sam deploy and aws cloudformation package do; a direct upload is also capped at 50 MB).
    long unzipped = 0;
    try (JarFile jar = new JarFile(jarPath().toFile())) {
      for (var e = jar.entries(); e.hasMoreElements(); ) {
        unzipped += Math.max(0, e.nextElement().getSize());
      }
    }
    assertTrue(unzipped < 250L * 1024 * 1024, "unzipped jar is " + unzipped + " bytes");
  }

  @Test
  void functionsRunJava21OnArm64FromTheJarWithSnapStartAndJsonLogs() {
    Map<String, JsonNode> sourceFunctions = sourceResources("AWS::Serverless::Function");
    for (var entry : functions().entrySet()) {
      JsonNode p = entry.getValue().path("Properties");
      String name = entry.getKey();
      assertEquals("java21", p.path("Runtime").asText(), name);
      assertEquals("[\"arm64\"]", p.path("Architectures").toString(), name);
      assertEquals("PublishedVersions", p.path("SnapStart").path("ApplyOn").asText(), name);
      assertEquals("JSON", p.path("LoggingConfig").path("LogFormat").asText(), name);
      assertTrue(p.path("MemorySize").asInt() >= 512, name + " memory");
      assertTrue(p.path("Timeout").asInt() <= 60, name + " timeout");
      JsonNode own = sourceFunctions.get(name).path("Properties");
      // On each function (aws cloudformation package ignores Globals), and the one jar for all.
      assertEquals("functions/target/thebacknd-functions.jar", own.path("CodeUri").asText(), name);
      // SnapStart applies to published versions only: everything must call the alias.
      assertFalse(aliasOf(name).isEmpty(), name + " has no alias (AutoPublishAlias)");
    }
  }

  @Test
  void configurationInTheTemplateIsValidForTheFunctionsAtTheirDefaults() {
    for (var entry : functions().entrySet()) {
      JsonNode variables = entry.getValue().path("Properties").path("Environment").path("Variables");
      Map<String, String> env = new HashMap<>();
      variables.fields().forEachRemaining(v -> env.put(v.getKey(), sample(v.getKey(), v.getValue())));
      assertEquals(KNOWN_VARIABLES, env.keySet(), entry.getKey() + " environment");
      Config config = Config.fromEnvironment(env); // throws with the one-line message otherwise
      config.requireLaunchSettings();
      config.requireLeasesTable();
    }
  }

  @Test
  void everyVariableIsInTheReferenceAndEveryParameterInTheDeployGuide() throws Exception {
    String reference = Files.readString(DeployTools.repo().resolve("docs/reference.md"));
    List<String> rows = reference.substring(reference.indexOf("## Configuration"), reference.indexOf("## HTTP API"))
        .lines().filter(l -> l.startsWith("| `")).map(l -> l.substring(0, l.indexOf(" | ", 2))).toList();
    for (String variable : KNOWN_VARIABLES) {
      assertTrue(rows.stream().anyMatch(r -> r.contains("`" + variable + "`")), "docs/reference.md's configuration table lacks " + variable);
    }
    String guide = Files.readString(DeployTools.repo().resolve("docs/deploy.md"));
    source.path("Parameters").fieldNames().forEachRemaining(
        parameter -> assertTrue(guide.contains("`" + parameter + "`"), "docs/deploy.md does not name the parameter " + parameter));
  }

  @Test
  void apiUrlIsBuiltFromTheApiIdNotFromAnythingThatDependsOnTheFunctions() {
    for (JsonNode function : functions().values()) {
      JsonNode url = function.path("Properties").path("Environment").path("Variables").path("THEBACKND_API_URL");
      assertEquals("https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}", url.path("Fn::Sub").asText(), url.toString());
    }
    assertEquals("AWS::ApiGatewayV2::Api", resource(deployed, "HttpApi").path("Type").asText());
    assertEquals("$default", resourcesOfType("AWS::ApiGatewayV2::Stage").values().iterator().next().path("Properties").path("StageName").asText());
  }

  // ------------------------------------------------------------------ the HTTP API and the schedule

  @Test
  void everyEndpointHasOneRouteToItsFunctionWithIamAuthExceptTheVmRoutes() {
    Map<String, JsonNode> routes = new HashMap<>();
    resourcesOfType("AWS::ApiGatewayV2::Route").values()
        .forEach(r -> assertNull(routes.put(r.path("Properties").path("RouteKey").asText(), r), "duplicate route"));
    assertNotNull(routes.remove("$default"), "a $default route (defaultRouteGetsTheDesignsNotFoundFromTheListFunction)");
    assertEquals(Route.values().length, routes.size(), routes.keySet().toString());
    for (Route endpoint : Route.values()) {
      JsonNode route = routes.get(endpoint.method + " " + endpoint.path);
      assertNotNull(route, "no route for " + endpoint);
      JsonNode p = route.path("Properties");
      assertEquals(VM_ROUTES.containsKey(endpoint.name()) ? "NONE" : "AWS_IAM", p.path("AuthorizationType").asText(), endpoint.toString());
      assertEquals("integrations/${%s}".formatted(integrationId(p)), p.path("Target").path("Fn::Sub").asText());
      JsonNode integration = resource(deployed, integrationId(p)).path("Properties");
      assertEquals("AWS_PROXY", integration.path("IntegrationType").asText());
      assertEquals("2.0", integration.path("PayloadFormatVersion").asText(), "the handlers parse payload format 2.0");
      String alias = integration.path("IntegrationUri").path("Ref").asText();
      assertEquals(functionFor(endpoint), functionOfAlias(alias), endpoint + " integration");
      // API Gateway may invoke that alias, from this route (and the list function from $default).
      List<String> sources = permissionSources(alias);
      String expected = "${HttpApi}/*/" + endpoint.method + endpoint.path;
      assertTrue(sources.stream().anyMatch(s -> s.endsWith(expected)), alias + ": " + sources);
      assertEquals(endpoint == Route.LIST ? 2 : 1, sources.size(), alias + ": " + sources);
    }
  }

  @Test
  void defaultRouteGetsTheDesignsNotFoundFromTheListFunction() {
    JsonNode route = resourcesOfType("AWS::ApiGatewayV2::Route").values().stream()
        .filter(r -> "$default".equals(r.path("Properties").path("RouteKey").asText()))
        .findFirst().orElseThrow(() -> new AssertionError("no $default route"));
    JsonNode p = route.path("Properties");
    assertEquals("NONE", p.path("AuthorizationType").asText(), "wrong calls from VMs get their 405 too");
    String alias = resource(deployed, integrationId(p)).path("Properties").path("IntegrationUri").path("Ref").asText();
    assertEquals(functionFor(Route.LIST), functionOfAlias(alias));
    assertTrue(permissionSources(alias).stream().anyMatch(s -> s.endsWith("${HttpApi}/*/$default")), permissionSources(alias).toString());
    JsonNode settings = resourcesOfType("AWS::ApiGatewayV2::Stage").values().iterator().next()
        .path("Properties").path("RouteSettings").path("$default");
    assertEquals("{\"Ref\":\"VmRouteRateLimit\"}", settings.path("ThrottlingRateLimit").toString(), "throttled as the VM routes");
    assertEquals("{\"Ref\":\"VmRouteBurstLimit\"}", settings.path("ThrottlingBurstLimit").toString());
  }

  /** The SourceArns of the permissions API Gateway has to invoke this alias. */
  private static List<String> permissionSources(String alias) {
    return resourcesOfType("AWS::Lambda::Permission").values().stream()
        .filter(x -> alias.equals(x.path("Properties").path("FunctionName").path("Ref").asText()))
        .peek(x -> assertEquals("apigateway.amazonaws.com", x.path("Properties").path("Principal").asText()))
        .map(x -> x.path("Properties").path("SourceArn").path("Fn::Sub").asText())
        .toList();
  }

  @Test
  void theVmRoutesAreThrottled() {
    JsonNode stage = resourcesOfType("AWS::ApiGatewayV2::Stage").values().iterator().next().path("Properties");
    Set<String> throttled = new TreeSet<>();
    for (Route endpoint : Route.values()) {
      String parameters = VM_ROUTES.get(endpoint.name());
      if (parameters == null) {
        continue;
      }
      JsonNode settings = stage.path("RouteSettings").path(endpoint.method + " " + endpoint.path);
      assertEquals(parameters + "RateLimit", settings.path("ThrottlingRateLimit").path("Ref").asText(), endpoint.toString());
      assertEquals(parameters + "BurstLimit", settings.path("ThrottlingBurstLimit").path("Ref").asText(), endpoint.toString());
      throttled.add(endpoint.name());
    }
    assertEquals(VM_ROUTES.keySet(), throttled, "every VM route is a route of the API");
    assertTrue(stage.path("DefaultRouteSettings").path("ThrottlingRateLimit").isNumber());
  }

  @Test
  void theVmRoutesThrottlesAtTheirDefaultsTakeMaxVmsVmsAtFullRate() throws Exception {
    int maxVms = defaultOf("MaxVms");
    // /output: the agent's own pace (nixos-image/agent): while output trickles, one chunk every
    // output_interval_us; while a program floods, output_window chunks on their way at once, each
    // taking at least about 0.1 s through API Gateway, Lambda and S3.
    double trickling = 1e6 / agentSetting("output_interval_us");
    double flooding = agentSetting("output_window") / 0.1;
    double perVm = Math.max(trickling, flooding);
    assertTrue(trickling >= 0.5, "a chunk at least every 2 s while output flows: " + trickling + "/s");
    assertTrue(defaultOf("OutputRouteRateLimit") >= maxVms * perVm,
        "OutputRouteRateLimit " + defaultOf("OutputRouteRateLimit") + " < " + maxVms + " VMs x " + perVm + "/s");
    assertTrue(defaultOf("OutputRouteBurstLimit") >= 2 * maxVms * perVm, "OutputRouteBurstLimit");
    // /report and /destroy-self: a report retried at most a second apart at first, by every VM at
    // once after a bad minute; booting, fetching and switching of every VM within one second.
    // /claim (the same parameters): every pooled VM asking once a second, and the pool is at most
    // MaxVms VMs.
    assertTrue(defaultOf("VmRouteRateLimit") >= maxVms, "VmRouteRateLimit");
    assertTrue(defaultOf("VmRouteBurstLimit") >= 3 * maxVms, "VmRouteBurstLimit");
    // And what the open routes let through together stays far below API Gateway's account-wide
    // 10,000 requests a second, which every API of the account shares.
    JsonNode stage = resourcesOfType("AWS::ApiGatewayV2::Stage").values().iterator().next().path("Properties");
    int open = 0;
    for (String route : List.of("POST /report", "POST /destroy-self", "POST /output", "POST /claim", "$default")) {
      open += defaultOf(stage.path("RouteSettings").path(route).path("ThrottlingRateLimit").path("Ref").asText());
    }
    assertTrue(open <= 1000, "the open routes together allow " + open + " requests a second");
  }

  @Test
  void destroyOldRunsEveryTenMinutesWithRetriesAsAScheduleEvent() {
    Map<String, JsonNode> schedules = resourcesOfType("AWS::Scheduler::Schedule");
    assertEquals(Set.of("PoolSchedule"), schedules.keySet().stream().filter(id -> schedules.get(id).has("Condition")).collect(Collectors.toSet()),
        "only the pool's schedule is conditional");
    schedules.remove("PoolSchedule");
    assertEquals(1, schedules.size(), schedules.keySet().toString());
    JsonNode p = schedules.values().iterator().next().path("Properties");
    assertEquals("rate(10 minutes)", p.path("ScheduleExpression").asText());
    JsonNode target = p.path("Target");
    assertEquals(functionFor(Route.DESTROY_OLD), functionOfAlias(target.path("Arn").path("Ref").asText()));
    assertTrue(target.path("RetryPolicy").path("MaximumRetryAttempts").asInt() >= 1, target.toString());
    assertTrue(target.path("RetryPolicy").path("MaximumEventAgeInSeconds").asInt() > 0, target.toString());
    // LambdaRuntimeIT sends this very input to the handler and checks it runs destroy-old.
    assertEquals("aws.scheduler", Json.parse(target.path("Input").asText()).path("source").asText());
    // The schedule's own role may invoke that alias and nothing else.
    List<JsonNode> statements = statements(resource(deployed, target.path("RoleArn").path("Fn::GetAtt").get(0).asText()));
    assertEquals(1, statements.size(), statements.toString());
    assertEquals(List.of("lambda:InvokeFunction"), actions(statements.get(0)));
    assertEquals(target.path("Arn"), statements.get(0).path("Resource"));
  }

  @Test
  void thePoolIsToppedUpAtLeastEveryTwoMinutesOnlyWhenAPoolIsConfigured() throws Exception {
    JsonNode schedule = resource(deployed, "PoolSchedule");
    assertEquals("AWS::Scheduler::Schedule", schedule.path("Type").asText());
    assertEquals("HasPool", schedule.path("Condition").asText(), "nothing runs while no pool is set");
    assertEquals("{\"Fn::Not\":[{\"Fn::Equals\":[{\"Ref\":\"Pool\"},\"\"]}]}", deployed.path("Conditions").path("HasPool").toString());
    JsonNode p = schedule.path("Properties");
    Matcher rate = Pattern.compile("rate\\((\\d+) minutes?\\)").matcher(p.path("ScheduleExpression").asText());
    assertTrue(rate.matches(), p.path("ScheduleExpression").asText());
    assertTrue(Integer.parseInt(rate.group(1)) <= 2, "at least every 2 minutes: " + rate.group());
    JsonNode target = p.path("Target");
    assertEquals(functionFor(route("POOL")), functionOfAlias(target.path("Arn").path("Ref").asText()));
    assertFalse(Json.parse(target.path("Input").asText()).path("dry_run").asBoolean(true), "a real top-up: " + target);
    assertTrue(target.path("RetryPolicy").path("MaximumEventAgeInSeconds").asInt() <= 120, "a stale run is superseded by the next one");
    // Its role exists with it, trusts only the scheduler, and may invoke that alias and nothing else.
    String roleId = target.path("RoleArn").path("Fn::GetAtt").get(0).asText();
    JsonNode role = resource(deployed, roleId);
    assertEquals("HasPool", role.path("Condition").asText());
    assertEquals("scheduler.amazonaws.com", trustedService(role));
    List<JsonNode> statements = statements(role);
    assertEquals(1, statements.size(), statements.toString());
    assertEquals(List.of("lambda:InvokeFunction"), actions(statements.get(0)));
    assertEquals(target.path("Arn"), statements.get(0).path("Resource"));
  }

  @Test
  void thePoolAndVmBuildSettingsAreParametersWithTheirDocumentedDefaults() {
    JsonNode parameters = source.path("Parameters");
    assertEquals("", parameters.path("Pool").path("Default").asText("missing"));
    assertEquals(60, parameters.path("PoolIdleMinutes").path("Default").asInt());
    assertEquals(1, parameters.path("PoolIdleMinutes").path("MinValue").asInt());
    assertEquals("false", parameters.path("AllowVmBuilds").path("Default").asText(), "VM builds are off unless asked for");
    assertEquals("[\"true\",\"false\"]", parameters.path("AllowVmBuilds").path("AllowedValues").toString());
    assertEquals("", parameters.path("UpstreamCaches").path("Default").asText("missing"));
    Pattern pool = Pattern.compile(parameters.path("Pool").path("AllowedPattern").asText());
    for (String good : List.of("", "t3.micro=2", "t3.micro=2,t4g.small:spot=1")) {
      assertTrue(pool.matcher(good).matches(), "Pool refuses " + good);
    }
    for (String bad : List.of("t3.micro", "t3.micro=", "t3.micro=-1", "t3.micro:ondemand=1", "t3.micro=1,", " t3.micro=1", "t3.micro=1 t3.small=1")) {
      assertFalse(pool.matcher(bad).matches(), "Pool takes " + bad);
    }
    Pattern caches = Pattern.compile(parameters.path("UpstreamCaches").path("AllowedPattern").asText());
    String nixos = "https://cache.nixos.org=cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
    for (String good : List.of("", nixos, nixos + " http://127.0.0.1:8080/c=lab-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=")) {
      assertTrue(caches.matcher(good).matches(), "UpstreamCaches refuses " + good);
    }
    for (String bad : List.of("https://cache.nixos.org", "cache.nixos.org=k:abc=", nixos + ",", nixos + "  " + nixos, "https://c.example=nokey")) {
      assertFalse(caches.matcher(bad).matches(), "UpstreamCaches takes " + bad);
    }
    Map<String, String> variableOf = Map.of("Pool", "THEBACKND_POOL", "PoolIdleMinutes", "THEBACKND_POOL_IDLE_MINUTES",
        "AllowVmBuilds", "THEBACKND_ALLOW_VM_BUILDS", "UpstreamCaches", "THEBACKND_UPSTREAM_CACHES");
    for (var function : functions().entrySet()) {
      JsonNode variables = function.getValue().path("Properties").path("Environment").path("Variables");
      variableOf.forEach((parameter, variable) ->
          assertEquals("{\"Ref\":\"" + parameter + "\"}", variables.path(variable).toString(), function.getKey() + " " + variable));
    }
  }

  // ------------------------------------------------------------------ least privilege

  @Test
  void eachFunctionHasItsOwnRoleGrantingExactlyTheCallsItsCodeMakes() {
    Set<String> roles = new TreeSet<>();
    for (Route endpoint : Route.values()) {
      String role = roleOf(endpoint);
      assertTrue(roles.add(role), role + " is shared");
      JsonNode r = resource(deployed, role);
      assertEquals("lambda.amazonaws.com", trustedService(r), role);
      assertTrue(r.path("Properties").path("ManagedPolicyArns").isMissingNode(), role + " must not attach managed policies");
      Set<String> granted = new TreeSet<>();
      statements(r).forEach(s -> granted.addAll(actions(s)));
      assertTrue(CALLS.containsKey(endpoint.name()), "TemplateIT.CALLS says nothing of what " + endpoint + " calls");
      Set<String> expected = new TreeSet<>(CALLS.get(endpoint.name()));
      expected.addAll(LOGS);
      assertEquals(expected, granted, endpoint + " (" + role + ")");
    }
  }

  @Test
  void noWildcardActionsAndAStarResourceOnlyForDescribeInstances() {
    for (var role : resourcesOfType("AWS::IAM::Role").entrySet()) {
      for (JsonNode s : statements(role.getValue())) {
        assertEquals("Allow", s.path("Effect").asText(), role.getKey());
        for (String action : actions(s)) {
          assertFalse(action.contains("*"), role.getKey() + " grants " + action);
        }
        if (resources(s).stream().anyMatch(r -> r.isTextual() && r.asText().equals("*"))) {
          assertEquals(List.of(EC2_DESCRIBE), actions(s), role.getKey() + ": Resource * for " + actions(s));
        }
      }
    }
  }

  @Test
  void logsGoOnlyToTheFunctionsOwnLogGroup() {
    for (var entry : functions().entrySet()) {
      JsonNode p = entry.getValue().path("Properties");
      String logGroup = p.path("LoggingConfig").path("LogGroup").path("Ref").asText();
      assertEquals("AWS::Logs::LogGroup", resource(deployed, logGroup).path("Type").asText(), entry.getKey());
      assertTrue(resource(deployed, logGroup).path("Properties").path("RetentionInDays").isObject(), "log retention is set");
      for (JsonNode s : statementsWith(role(entry.getValue()), "logs:PutLogEvents")) {
        assertEquals(List.of("{\"Fn::GetAtt\":[\"" + logGroup + "\",\"Arn\"]}"), resources(s).stream().map(JsonNode::toString).toList());
      }
    }
  }

  @Test
  void createLaunchesOnlyTaggedImdsV2InstancesOfAllowedTypesFromOurImage() {
    JsonNode role = resource(deployed, roleOf(Route.CREATE));
    Map<String, List<JsonNode>> byResource = new HashMap<>();
    for (JsonNode s : statementsWith(role, "ec2:RunInstances")) {
      assertEquals(List.of("ec2:RunInstances"), actions(s), "RunInstances has statements of its own");
      for (JsonNode r : resources(s)) {
        byResource.computeIfAbsent(resourceType(r), k -> new ArrayList<>()).add(s);
      }
    }
    assertEquals(Set.of("instance", "volume", "spot-instances-request", "image", "subnet", "security-group", "network-interface", "key-pair"),
        byResource.keySet());
    // What RunInstances creates carries our tag from the start: a spot launch's request too, so
    // spot is requested only for our tagged launches (vm/Fleet.java tags it in the same call).
    for (String created : List.of("instance", "volume", "spot-instances-request")) {
      for (JsonNode s : byResource.get(created)) {
        assertEquals("true", s.path("Condition").path("StringEquals").path("aws:RequestTag/" + VmTags.OURS).asText(), created + ": " + s);
      }
    }
    for (JsonNode s : byResource.get("instance")) {
      JsonNode equals = s.path("Condition").path("StringEquals");
      assertEquals("required", equals.path("ec2:MetadataHttpTokens").asText(), s.toString());
      assertEquals(1, s.path("Condition").path("NumericLessThanEquals").path("ec2:MetadataHttpPutResponseHopLimit").asInt(), s.toString());
      String types = equals.path("ec2:InstanceType").toString();
      assertTrue(types.contains("${InstanceType}") && types.contains("${AllowedInstanceTypes}"), types);
    }
    for (JsonNode s : byResource.get("image")) {
      assertTrue(resources(s).stream().anyMatch(r -> r.path("Fn::Sub").asText().endsWith("::image/${ImageId}")), "only our AMI: " + s);
    }
  }

  @Test
  void createAndThePoolTagOnlyAsPartOfRunInstancesButCreateRetagsAClaimedPooledVm() {
    for (Route endpoint : List.of(Route.CREATE, route("POOL"))) {
      Set<String> tagged = new TreeSet<>();
      for (JsonNode s : statementsWith(resource(deployed, roleOf(endpoint)), "ec2:CreateTags")) {
        if (s.path("Sid").asText().equals("RetagClaimedPoolVm") && endpoint == Route.CREATE) {
          continue; // createRetagsOnlyPooledVmsOfOursAndOnlyTheirWorkloadKeys
        }
        resources(s).forEach(r -> tagged.add(resourceType(r)));
        assertAtLaunchOnly(s);
      }
      assertEquals(Set.of("instance", "volume", "spot-instances-request"), tagged, endpoint.toString());
    }
  }

  @Test
  void createRetagsOnlyPooledVmsOfOursAndOnlyTheirWorkloadKeys() {
    List<JsonNode> retag = statementsWith(resource(deployed, roleOf(Route.CREATE)), "ec2:CreateTags").stream()
        .filter(s -> !s.path("Condition").path("StringEquals").has("ec2:CreateAction")).toList();
    assertEquals(1, retag.size(), retag.toString());
    JsonNode s = retag.get(0);
    assertEquals(List.of("ec2:CreateTags"), actions(s));
    for (JsonNode r : resources(s)) {
      assertEquals("instance", resourceType(r));
    }
    JsonNode condition = s.path("Condition");
    assertEquals("true", condition.path("StringEquals").path("ec2:ResourceTag/" + VmTags.OURS).asText(), s.toString());
    // Only an instance that carries a pool tag: never one launched for a workload.
    assertEquals("false", condition.path("Null").path("ec2:ResourceTag/thebacknd:pool").asText(), s.toString());
    Set<String> keys = new TreeSet<>();
    condition.path("ForAllValues:StringEquals").path("aws:TagKeys").forEach(k -> keys.add(k.asText()));
    assertEquals(Set.of(VmTags.TOPLEVEL, VmTags.BINARY, VmTags.ARGS, "thebacknd:flake", "thebacknd:packages", VmTags.EXPIRES_AT,
        VmTags.OWNER, "thebacknd:pool", "thebacknd:claimed-at"), keys);
    for (String never : List.of(VmTags.OURS, VmTags.NAME, VmTags.VM_ID, VmTags.PHASE)) {
      assertFalse(keys.contains(never), never);
    }
  }

  @Test
  void thePoolLaunchesExactlyAsCreateDoesAndTheClaimTouchesNoInstance() {
    JsonNode create = resource(deployed, roleOf(Route.CREATE));
    JsonNode pool = resource(deployed, roleOf(route("POOL")));
    for (String action : List.of("ec2:RunInstances", "iam:PassRole", "ec2:TerminateInstances")) {
      List<String> created = statementsWith(create, action).stream().map(TemplateIT::withoutSid).toList();
      List<String> pooled = statementsWith(pool, action).stream().map(TemplateIT::withoutSid).toList();
      assertEquals(created, pooled, action);
    }
    assertTrue(statementsWith(pool, "s3:GetObject").isEmpty(), "the pool reads no closure");
    for (JsonNode s : statements(resource(deployed, roleOf(route("CLAIM"))))) {
      for (String action : actions(s)) {
        assertFalse(action.startsWith("ec2:") || action.startsWith("s3:"), "claim calls " + action);
      }
    }
  }

  private static String withoutSid(JsonNode statement) {
    com.fasterxml.jackson.databind.node.ObjectNode copy = statement.deepCopy();
    copy.remove("Sid");
    return copy.toString();
  }

  private static void assertAtLaunchOnly(JsonNode s) {
    assertEquals(List.of("ec2:CreateTags"), actions(s));
    assertEquals("RunInstances", s.path("Condition").path("StringEquals").path("ec2:CreateAction").asText(), s.toString());
    Set<String> keys = new TreeSet<>();
    s.path("Condition").path("ForAllValues:StringLike").path("aws:TagKeys").forEach(k -> keys.add(k.asText()));
    assertEquals(Set.of("thebacknd", "thebacknd:*", "Name"), keys, s.toString());
  }

  @Test
  void extendTagsOnlyOurInstancesAndOnlyTheirDeadline() {
    List<JsonNode> createTags = statementsWith(resource(deployed, roleOf(Route.EXTEND)), "ec2:CreateTags");
    assertEquals(1, createTags.size());
    JsonNode s = createTags.get(0);
    assertEquals(List.of("ec2:CreateTags"), actions(s));
    assertEquals("true", s.path("Condition").path("StringEquals").path("ec2:ResourceTag/" + VmTags.OURS).asText());
    assertEquals("[\"" + VmTags.EXPIRES_AT + "\"]", s.path("Condition").path("ForAllValues:StringEquals").path("aws:TagKeys").toString());
    for (JsonNode r : resources(s)) {
      assertEquals("instance", resourceType(r));
    }
    String callApi = resource(deployed, "CallerPolicy").path("Properties").path("PolicyDocument").toString();
    assertTrue(callApi.contains("/*/POST/extend"), "callers may extend: " + callApi);
  }

  @Test
  void theBootTimeoutTheSpotFallbackAndTheFailedKeepAreParametersWithTheirDocumentedDefaults() {
    JsonNode parameters = source.path("Parameters");
    assertEquals(15, parameters.path("BootTimeoutMinutes").path("Default").asInt());
    assertEquals(0, parameters.path("BootTimeoutMinutes").path("MinValue").asInt());
    assertEquals("on-demand", parameters.path("SpotFallback").path("Default").asText());
    assertEquals("[\"on-demand\",\"none\"]", parameters.path("SpotFallback").path("AllowedValues").toString());
    assertEquals(15, parameters.path("FailedKeepMinutes").path("Default").asInt());
    assertEquals(1, parameters.path("FailedKeepMinutes").path("MinValue").asInt());
    for (var function : functions().entrySet()) {
      JsonNode variables = function.getValue().path("Properties").path("Environment").path("Variables");
      assertEquals("{\"Ref\":\"FailedKeepMinutes\"}", variables.path("THEBACKND_FAILED_KEEP_MINUTES").toString(), function.getKey());
    }
  }

  @Test
  void createPassesOnlyTheVmRoleAndOnlyToEc2() {
    List<JsonNode> passRole = statementsWith(resource(deployed, roleOf(Route.CREATE)), "iam:PassRole");
    assertEquals(1, passRole.size());
    JsonNode s = passRole.get(0);
    assertEquals(List.of("{\"Fn::GetAtt\":[\"VmRole\",\"Arn\"]}"), resources(s).stream().map(JsonNode::toString).toList());
    assertEquals("ec2.amazonaws.com", s.path("Condition").path("StringEquals").path("iam:PassedToService").asText());
    // ...and that role is the one in the instance profile the VMs are launched with.
    assertEquals("[{\"Ref\":\"VmRole\"}]", resource(deployed, "VmInstanceProfile").path("Properties").path("Roles").toString());
  }

  @Test
  void createLaunchesOnlyIntoTheSubnetGroupsAndKeyPairItWasDeployedWith() {
    JsonNode role = resource(deployed, roleOf(Route.CREATE));
    Map<String, String> conditionOf = Map.of("subnet", "HasSubnet", "key-pair", "HasKeyName", "security-group", "HasSecurityGroup");
    Map<String, String> parameterOf = Map.of("subnet", "${SubnetId}", "key-pair", "${KeyName}", "security-group", "${Group}");
    Set<String> seen = new TreeSet<>();
    for (JsonNode s : statementsWith(role, "ec2:RunInstances")) {
      for (JsonNode r : resources(s)) {
        String type = resourceType(r);
        if (!conditionOf.containsKey(type)) {
          continue;
        }
        // Every one is an Fn::If on its parameter being set, whose true branch names that value.
        JsonNode choice = r.path("Fn::If");
        assertTrue(choice.isArray(), type + " is not conditioned on its parameter: " + r);
        String condition = choice.get(0).asText();
        assertTrue(condition.startsWith(conditionOf.get(type)), type + ": " + r);
        assertTrue(arnPatterns(choice.get(1)).get(0).endsWith(":" + type + "/" + parameterOf.get(type)), type + ": " + r);
        if (Set.of("HasSubnet", "HasSecurityGroups").contains(condition)) {
          // Left empty: the default VPC's subnet and group, which the stack cannot name.
          assertTrue(arnPatterns(choice.get(2)).get(0).endsWith(":" + type + "/*"), r.toString());
        } else {
          assertTrue(isNoValue(choice.get(2)), "no key pair (or no further group) at all when none is given: " + r);
        }
        seen.add(condition);
      }
    }
    assertEquals(Set.of("HasSubnet", "HasKeyName", "HasSecurityGroups", "HasSecurityGroup2", "HasSecurityGroup3",
        "HasSecurityGroup4", "HasSecurityGroup5"), seen);
  }

  @Test
  void theLeasesAreAnOnDemandTableKeyedByNameThatOnlyTheLaunchesWriteReportStampsAndTheDestroysRelease() {
    // Writes: create and the pool claim, record and free; report stamps the timeline; the
    // destroys only delete; everyone else (the claim of a pooled VM too) only reads.
    for (Route endpoint : Route.values()) {
      Set<String> writes = new TreeSet<>();
      for (JsonNode s : statements(resource(deployed, roleOf(endpoint)))) {
        actions(s).stream().filter(a -> Set.of("dynamodb:PutItem", "dynamodb:UpdateItem", RELEASE).contains(a)).forEach(writes::add);
      }
      Set<String> expected = switch (endpoint.name()) {
        case "CREATE", "POOL" -> Set.of("dynamodb:PutItem", "dynamodb:UpdateItem", RELEASE);
        case "REPORT" -> Set.of("dynamodb:UpdateItem");
        case "DESTROY", "DESTROY_ALL", "DESTROY_OLD", "DESTROY_SELF" -> Set.of(RELEASE);
        default -> Set.of();
      };
      assertEquals(expected, writes, endpoint + " writes the leases");
    }
    JsonNode table = resource(deployed, "LeasesTable");
    assertEquals("AWS::DynamoDB::Table", table.path("Type").asText());
    assertEquals("Delete", table.path("DeletionPolicy").asText());
    JsonNode p = table.path("Properties");
    assertEquals("PAY_PER_REQUEST", p.path("BillingMode").asText());
    assertEquals("[{\"AttributeName\":\"name\",\"KeyType\":\"HASH\"}]", p.path("KeySchema").toString());
    assertEquals("[{\"AttributeName\":\"name\",\"AttributeType\":\"S\"}]", p.path("AttributeDefinitions").toString());
    for (JsonNode function : functions().values()) {
      assertEquals("{\"Ref\":\"LeasesTable\"}",
          function.path("Properties").path("Environment").path("Variables").path("THEBACKND_LEASES_TABLE").toString());
    }
    for (var role : resourcesOfType("AWS::IAM::Role").entrySet()) {
      for (JsonNode s : statements(role.getValue())) {
        if (actions(s).stream().anyMatch(a -> a.startsWith("dynamodb:"))) {
          assertTrue(actions(s).stream().allMatch(a -> a.startsWith("dynamodb:")), role.getKey() + ": " + s);
          assertEquals("[{\"Fn::GetAtt\":[\"LeasesTable\",\"Arn\"]}]", resources(s).toString(), role.getKey());
        }
      }
    }
  }

  @Test
  void everyTerminationRequiresOurTag() {
    for (Route endpoint : Route.values()) {
      for (JsonNode s : statementsWith(resource(deployed, roleOf(endpoint)), "ec2:TerminateInstances")) {
        assertEquals(List.of("ec2:TerminateInstances"), actions(s));
        assertEquals("true", s.path("Condition").path("StringEquals").path("ec2:ResourceTag/" + VmTags.OURS).asText(), endpoint + ": " + s);
        for (JsonNode r : resources(s)) {
          assertEquals("instance", resourceType(r), endpoint + ": " + r);
        }
      }
    }
  }

  @Test
  void reportTagsOnlyOurInstancesAndOnlyThePhaseKeys() {
    List<JsonNode> createTags = statementsWith(resource(deployed, roleOf(Route.REPORT)), "ec2:CreateTags");
    assertEquals(1, createTags.size());
    JsonNode condition = createTags.get(0).path("Condition");
    assertEquals("true", condition.path("StringEquals").path("ec2:ResourceTag/" + VmTags.OURS).asText());
    Set<String> keys = new TreeSet<>();
    condition.path("ForAllValues:StringEquals").path("aws:TagKeys").forEach(k -> keys.add(k.asText()));
    // The deadline too: a failed report brings it forward to FailedKeepMinutes from then, and
    // keeps when it failed.
    assertEquals(Set.of(VmTags.PHASE, VmTags.PHASE_DETAIL, VmTags.EXIT_CODE, VmTags.EXPIRES_AT, FAILED_AT_TAG), keys);
  }

  // ------------------------------------------------------------------ the output bucket

  @Test
  void theOutputBucketIsPrivateEncryptedTlsOnlyExpiresAndRefusesTheVms() {
    JsonNode p = resource(deployed, "OutputBucket").path("Properties");
    JsonNode block = p.path("PublicAccessBlockConfiguration");
    for (String setting : List.of("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")) {
      assertTrue(block.path(setting).asBoolean(), setting);
    }
    assertEquals("AES256", p.path("BucketEncryption").path("ServerSideEncryptionConfiguration").get(0)
        .path("ServerSideEncryptionByDefault").path("SSEAlgorithm").asText());
    JsonNode expiry = null;
    for (JsonNode rule : p.path("LifecycleConfiguration").path("Rules")) {
      if (rule.has("ExpirationInDays")) {
        expiry = rule;
      }
    }
    assertNotNull(expiry, "a lifecycle rule expires the output");
    assertEquals("Enabled", expiry.path("Status").asText());
    assertEquals("OutputRetentionDays", expiry.path("ExpirationInDays").path("Ref").asText());
    assertTrue(source.path("Parameters").path("OutputRetentionDays").path("Default").asInt() >= 1);

    JsonNode policy = resourcesOfType("AWS::S3::BucketPolicy").values().stream()
        .filter(b -> "OutputBucket".equals(b.path("Properties").path("Bucket").path("Ref").asText()))
        .findFirst().orElseThrow(() -> new AssertionError("no policy on the output bucket")).path("Properties").path("PolicyDocument");
    boolean tlsOnly = false;
    boolean noVm = false;
    for (JsonNode s : policy.path("Statement")) {
      assertEquals("Deny", s.path("Effect").asText(), s.toString());
      assertEquals(List.of("s3:*"), actions(s));
      tlsOnly |= "false".equals(s.path("Condition").path("Bool").path("aws:SecureTransport").asText());
      noVm |= "{\"Fn::GetAtt\":[\"VmRole\",\"Arn\"]}".equals(s.path("Condition").path("ArnEquals").path("aws:PrincipalArn").toString());
    }
    assertTrue(tlsOnly, "TLS only: " + policy);
    assertTrue(noVm, "the VM role is denied outright: " + policy);
    assertFalse(statements(resource(deployed, "VmRole")).toString().contains("OutputBucket"), "the VM role has no grant on it");
  }

  @Test
  void onlyTheOutputAndReportFunctionsWriteOutputAndOnlyTheLogsAndOutputFunctionsReadIt() {
    for (var role : resourcesOfType("AWS::IAM::Role").entrySet()) {
      for (JsonNode s : statements(role.getValue())) {
        if (!resources(s).toString().contains("OutputBucket")) {
          continue;
        }
        String name = role.getKey();
        assertEquals(1, actions(s).size(), name + ": one action per statement: " + s);
        String action = actions(s).get(0);
        if (action.equals("s3:PutObject")) {
          assertTrue(name.equals(roleOf(Route.OUTPUT)) || name.equals(roleOf(Route.REPORT)), name + " writes output");
        } else {
          assertTrue(Set.of("s3:GetObject", "s3:ListBucket").contains(action), name + ": " + action);
          assertTrue(name.equals(roleOf(Route.OUTPUT)) || name.equals(roleOf(Route.LOGS)), name + " reads output");
        }
      }
    }
    // report keeps the exit code and which vm_id a name was last given, nothing else there.
    List<JsonNode> reportWrites = statementsWith(resource(deployed, roleOf(Route.REPORT)), "s3:PutObject");
    assertEquals(1, reportWrites.size());
    assertEquals(List.of("${OutputBucket.Arn}/*/exit-code", "${OutputBucket.Arn}/names/*"),
        resources(reportWrites.get(0)).stream().map(r -> r.path("Fn::Sub").asText()).toList());
  }

  @Test
  void theConsoleIsReadOnlyFromOurInstances() {
    List<JsonNode> console = statementsWith(resource(deployed, roleOf(Route.CONSOLE)), "ec2:GetConsoleOutput");
    assertEquals(1, console.size());
    assertEquals("true", console.get(0).path("Condition").path("StringEquals").path("ec2:ResourceTag/" + VmTags.OURS).asText());
    for (JsonNode r : resources(console.get(0))) {
      assertEquals("instance", resourceType(r));
    }
  }

  @Test
  void callersMayReadLogsAndConsolesButNeverSendOutput() {
    String callApi = resource(deployed, "CallerPolicy").path("Properties").path("PolicyDocument").toString();
    assertTrue(callApi.contains("/*/GET/logs") && callApi.contains("/*/GET/console"), callApi);
    assertFalse(callApi.contains("/*/POST/output"), "output is the VMs' route, authenticated by kill code");
  }

  @Test
  void callersGetTheApiRoutesWithIamAuthAndNoDirectInvoke() {
    // A direct invocation's payload can be shaped like an API Gateway event and claim any caller,
    // so only the API (which sets the caller from the signature) is granted: owners cannot be
    // forged. Direct invocation stays an administrator's path.
    JsonNode policy = resource(deployed, "CallerPolicy").path("Properties").path("PolicyDocument");
    Set<String> routes = new TreeSet<>();
    for (JsonNode s : policy.path("Statement")) {
      assertEquals("Allow", s.path("Effect").asText(), s.toString());
      for (String action : actions(s)) {
        assertFalse(action.startsWith("lambda:"), "the caller policy grants " + action + ": " + s);
        assertFalse(action.contains("*"), s.toString());
      }
      if (actions(s).contains("execute-api:Invoke")) {
        assertEquals(List.of("execute-api:Invoke"), actions(s));
        for (JsonNode r : resources(s)) {
          String arn = r.path("Fn::Sub").asText();
          String prefix = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/*/";
          assertTrue(arn.startsWith(prefix), arn);
          routes.add(arn.substring(prefix.length()));
        }
      }
    }
    Set<String> iamRoutes = new TreeSet<>();
    for (Route endpoint : Route.values()) {
      if (!VM_ROUTES.containsKey(endpoint.name())) {
        iamRoutes.add(endpoint.method + endpoint.path);
      }
    }
    assertEquals(iamRoutes, routes, "execute-api:Invoke on exactly the IAM-authenticated routes");
  }

  @Test
  void nothingButApiGatewayAndTheScheduleMayInvokeAFunction() {
    for (var permission : resourcesOfType("AWS::Lambda::Permission").entrySet()) {
      JsonNode p = permission.getValue().path("Properties");
      assertEquals("lambda:InvokeFunction", p.path("Action").asText(), permission.getKey());
      assertEquals("apigateway.amazonaws.com", p.path("Principal").asText(), permission.getKey());
      assertTrue(p.path("SourceArn").path("Fn::Sub").asText().contains(":${HttpApi}/*/"), permission.getKey() + ": " + p);
    }
    Set<String> scheduled = Set.of(
        "[{\"Ref\":\"" + aliasOf(functionFor(Route.DESTROY_OLD)) + "\"}]",
        "[{\"Ref\":\"" + aliasOf(functionFor(route("POOL"))) + "\"}]");
    for (String type : List.of("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")) {
      for (var holder : resourcesOfType(type).entrySet()) {
        List<JsonNode> all = new ArrayList<>(statements(holder.getValue()));
        holder.getValue().path("Properties").path("PolicyDocument").path("Statement").forEach(all::add);
        for (JsonNode s : all) {
          if (actions(s).stream().anyMatch(a -> a.startsWith("lambda:"))) {
            // Only a schedule's own role, on destroy-old's or the pool's alias (the schedule tests).
            assertTrue(scheduled.contains(resources(s).toString()), holder.getKey() + ": " + s);
          }
        }
      }
    }
  }

  @Test
  void theSecretAndTheCacheAreReadOnlyWhereTheyAreNamed() {
    for (var role : resourcesOfType("AWS::IAM::Role").entrySet()) {
      for (JsonNode s : statementsWith(role.getValue(), "secretsmanager:GetSecretValue")) {
        assertEquals("[{\"Ref\":\"KillCodeSecret\"}]", resources(s).toString(), role.getKey());
      }
      for (String action : List.of("s3:GetObject", "s3:ListBucket")) {
        for (JsonNode s : statementsWith(role.getValue(), action)) {
          assertEquals(List.of(action), actions(s), role.getKey());
          String arn = resources(s).get(0).path("Fn::Sub").get(0).asText();
          assertEquals(action.equals("s3:GetObject") ? "arn:${AWS::Partition}:s3:::${Bucket}/*" : "arn:${AWS::Partition}:s3:::${Bucket}", arn);
        }
      }
    }
  }

  @Test
  void vmRoleReadsTheCacheAndNothingElse() {
    JsonNode vmRole = resource(deployed, "VmRole");
    assertEquals("ec2.amazonaws.com", trustedService(vmRole));
    Set<String> granted = new TreeSet<>();
    statements(vmRole).forEach(s -> granted.addAll(actions(s)));
    assertEquals(Set.of("s3:GetObject", "s3:ListBucket"), granted);
    assertTrue(vmRole.path("Properties").path("ManagedPolicyArns").isMissingNode());
  }

  // ------------------------------------------------------------------ helpers

  private static int defaultOf(String parameter) {
    JsonNode value = source.path("Parameters").path(parameter).path("Default");
    assertTrue(value.isNumber() || value.isTextual(), "no default for parameter " + parameter);
    return value.asInt();
  }

  /** A numeric {@code readonly NAME=N} of the VM agent (nixos-image/agent, any of its files). */
  private static int agentSetting(String name) throws Exception {
    Pattern setting = Pattern.compile("(?m)^readonly " + name + "=([0-9]+)$");
    List<Integer> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(DeployTools.repo().resolve("nixos-image/agent"))) {
      for (Path file : files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList()) {
        Matcher m = setting.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
        while (m.find()) {
          found.add(Integer.parseInt(m.group(1)));
        }
      }
    }
    assertEquals(1, found.size(), "the agent sets " + name + " once (readonly " + name + "=N); the throttles are sized from it");
    return found.get(0);
  }

  /** The route of this name; one the code does not have yet fails the test that needs it, saying so. */
  private static Route route(String name) {
    return Stream.of(Route.values()).filter(r -> r.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("edge/Route has no " + name));
  }

  private static Path jarPath() {
    Path jar = Path.of(System.getProperty("thebacknd.jar", DeployTools.repo().resolve("functions/target/thebacknd-functions.jar").toString()));
    assertTrue(Files.isRegularFile(jar), "the shaded jar is built before the *IT tests: " + jar);
    return jar;
  }

  /** The jar on its own, as Lambda loads it: none of the test class path's classes. */
  private static URLClassLoader jarLoader() throws Exception {
    return new URLClassLoader(new URL[] {jarPath().toUri().toURL()}, ClassLoader.getPlatformClassLoader());
  }

  private static JsonNode resource(JsonNode template, String id) {
    JsonNode r = template.path("Resources").path(id);
    if (r.isMissingNode()) {
      fail("no resource " + id);
    }
    return r;
  }

  private static Map<String, JsonNode> resourcesOfType(String type) {
    return resourcesOfType(deployed, type);
  }

  private static Map<String, JsonNode> sourceResources(String type) {
    return resourcesOfType(source, type);
  }

  private static Map<String, JsonNode> resourcesOfType(JsonNode template, String type) {
    Map<String, JsonNode> found = new HashMap<>();
    template.path("Resources").fields().forEachRemaining(e -> {
      if (type.equals(e.getValue().path("Type").asText())) {
        found.put(e.getKey(), e.getValue());
      }
    });
    return found;
  }

  private static Map<String, JsonNode> functions() {
    return resourcesOfType("AWS::Lambda::Function");
  }

  /** The function whose handler serves this endpoint, e.g. DESTROY_ALL → DestroyAllHandler. */
  private static String functionFor(Route endpoint) {
    String camel = List.of(endpoint.name().split("_")).stream()
        .map(w -> w.charAt(0) + w.substring(1).toLowerCase()).collect(Collectors.joining());
    String handler = "thebacknd.edge." + camel + "Handler::handleRequest";
    List<String> ids = functions().entrySet().stream()
        .filter(e -> handler.equals(e.getValue().path("Properties").path("Handler").asText()))
        .map(Map.Entry::getKey).toList();
    assertEquals(1, ids.size(), "functions with handler " + handler + ": " + ids);
    return ids.get(0);
  }

  private static String aliasOf(String function) {
    return resourcesOfType("AWS::Lambda::Alias").entrySet().stream()
        .filter(e -> function.equals(e.getValue().path("Properties").path("FunctionName").path("Ref").asText()))
        .map(Map.Entry::getKey).findFirst().orElse("");
  }

  private static String functionOfAlias(String alias) {
    JsonNode a = resource(deployed, alias);
    assertEquals("AWS::Lambda::Alias", a.path("Type").asText(), alias + " is not an alias");
    return a.path("Properties").path("FunctionName").path("Ref").asText();
  }

  private static String integrationId(JsonNode routeProperties) {
    return routeProperties.path("Target").path("Fn::Sub").asText().replace("integrations/${", "").replace("}", "");
  }

  private static JsonNode role(JsonNode function) {
    return resource(deployed, function.path("Properties").path("Role").path("Fn::GetAtt").get(0).asText());
  }

  private static String roleOf(Route endpoint) {
    return resource(deployed, functionFor(endpoint)).path("Properties").path("Role").path("Fn::GetAtt").get(0).asText();
  }

  private static String trustedService(JsonNode role) {
    JsonNode statements = role.path("Properties").path("AssumeRolePolicyDocument").path("Statement");
    assertEquals(1, statements.size(), role.toString());
    assertEquals("sts:AssumeRole", statements.get(0).path("Action").asText());
    return statements.get(0).path("Principal").path("Service").asText();
  }

  private static List<JsonNode> statements(JsonNode role) {
    List<JsonNode> all = new ArrayList<>();
    role.path("Properties").path("Policies").forEach(p -> p.path("PolicyDocument").path("Statement").forEach(all::add));
    return all;
  }

  private static List<JsonNode> statementsWith(JsonNode role, String action) {
    return statements(role).stream().filter(s -> actions(s).contains(action)).toList();
  }

  private static List<String> actions(JsonNode statement) {
    return strings(statement.path("Action"));
  }

  private static List<JsonNode> resources(JsonNode statement) {
    JsonNode r = statement.path("Resource");
    List<JsonNode> list = new ArrayList<>();
    if (r.isArray()) {
      r.forEach(list::add);
    } else {
      list.add(r);
    }
    return list;
  }

  /** The EC2 resource type of an ARN in a policy ("instance", "image", …), through Fn::If. */
  private static String resourceType(JsonNode resource) {
    if (resource.has("Fn::If")) {
      String a = resourceType(resource.path("Fn::If").get(1));
      JsonNode otherwise = resource.path("Fn::If").get(2);
      if (!isNoValue(otherwise)) {
        assertEquals(a, resourceType(otherwise), resource.toString());
      }
      return a;
    }
    JsonNode sub = resource.path("Fn::Sub");
    String arn = sub.isArray() ? sub.get(0).asText() : sub.asText(resource.asText());
    String last = arn.substring(arn.lastIndexOf(':') + 1);
    return last.substring(0, last.indexOf('/'));
  }

  private static boolean isNoValue(JsonNode node) {
    return "AWS::NoValue".equals(node.path("Ref").asText());
  }

  /** The ARN pattern of a resource, or of each branch of its Fn::If (a NoValue branch is none). */
  private static List<String> arnPatterns(JsonNode resource) {
    if (resource.has("Fn::If")) {
      List<String> both = new ArrayList<>();
      for (int branch = 1; branch <= 2; branch++) {
        JsonNode b = resource.path("Fn::If").get(branch);
        if (!isNoValue(b)) {
          both.addAll(arnPatterns(b));
        }
      }
      return both;
    }
    JsonNode sub = resource.path("Fn::Sub");
    return List.of(sub.isArray() ? sub.get(0).asText() : sub.asText(resource.asText()));
  }

  private static List<String> strings(JsonNode node) {
    List<String> list = new ArrayList<>();
    if (node.isArray()) {
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
        list.add(it.next().asText());
      }
    } else if (node.isTextual()) {
      list.add(node.asText());
    }
    return list;
  }

  private static void assertNull(Object value, String message) {
    if (value != null) {
      fail(message);
    }
  }

  /**
   * The value a variable has once deployed with the parameters' defaults; what AWS fills in
   * (ids, ARNs, the API URL) is replaced by a value of the same shape.
   */
  private static String sample(String name, JsonNode value) {
    if (value.isTextual()) {
      return value.asText();
    }
    String ref = value.path("Ref").asText("");
    JsonNode parameter = source.path("Parameters").path(ref);
    if (parameter.has("Default")) {
      return parameter.path("Default").asText();
    }
    return switch (name) {
      case "THEBACKND_SECRET_ARN" -> "arn:aws:secretsmanager:us-east-1:123456789012:secret:KillCodeSecret-AbCdEf";
      case "THEBACKND_IMAGE_ID" -> "ami-0123456789abcdef0";
      case "THEBACKND_INSTANCE_PROFILE" -> "arn:aws:iam::123456789012:instance-profile/thebacknd-VmInstanceProfile-AbCd";
      case "THEBACKND_API_URL" -> "https://abcdef1234.execute-api.us-east-1.amazonaws.com";
      case "NIX_CACHE" -> "s3://thebacknd-cachebucket-abcd?region=us-east-1";
      case "NIX_TRUSTED_KEY" -> "thebacknd-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=";
      case "THEBACKND_LEASES_TABLE" -> "thebacknd-LeasesTable-1A2B3C4D5E6F";
      case "THEBACKND_OUTPUT_BUCKET" -> "thebacknd-outputbucket-abcd";
      default -> throw new AssertionError("no sample for " + name + " = " + value);
    };
  }
}
