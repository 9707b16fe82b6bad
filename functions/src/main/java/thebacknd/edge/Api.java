package thebacknd.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import thebacknd.Failure;
import thebacknd.Json;
import thebacknd.Log;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.StorePath;
import thebacknd.config.ConfigException;
import thebacknd.output.OutputService;
import thebacknd.vm.ConsoleService;
import thebacknd.vm.CreateRequest;
import thebacknd.vm.Phase;
import thebacknd.vm.Timings;
import thebacknd.vm.VmService;
import thebacknd.vm.Workload;

/**
 * The HTTP API as plain method calls: {@link ApiRequest} in, {@link ApiResponse} out.
 * Lambda handlers, the local server and the CLI's --local mode all go through {@link #handle}, so
 * they share routing, parsing, validation and error mapping. Each route is parse → domain → render.
 */
public final class Api {

  /** Every route's body limit (DESIGN §4) but {@code /output}'s: see {@link #maxBodyBytes}. */
  public static final int MAX_BODY_BYTES = 16 * 1024;

  private final VmService vms;
  private final OutputAndConsoleRoutes outputAndConsole;

  public Api(VmService vms, OutputService output, ConsoleService consoles) {
    this.vms = vms;
    this.outputAndConsole = new OutputAndConsoleRoutes(output, consoles);
  }

  /**
   * The largest body a route takes: 16 KiB, except {@code POST /output}, whose chunk of up to
   * 64 KiB of text is larger once JSON-escaped. (API Gateway's own limit, 10 MB, is far above both.)
   */
  public static int maxBodyBytes(Route route) {
    return route == Route.OUTPUT ? OutputAndConsoleRoutes.OUTPUT_MAX_BODY_BYTES : MAX_BODY_BYTES;
  }

  /** The body limit of the route at {@code path}; the common one for an unknown path. */
  public static int maxBodyBytes(String path) {
    return Route.forPath(path).map(Api::maxBodyBytes).orElse(MAX_BODY_BYTES);
  }

  /** A request to one route with its own method: the CLI's --local calls, tests. */
  public ApiResponse handle(Route route, String body) {
    return handle(ApiRequest.to(route, body));
  }

  /**
   * A request that matched none of API Gateway's routes (its {@code $default} route): the same 404
   * or 405 {@link #handle} gives, and nothing else is done, whatever the path.
   */
  public ApiResponse unmatched(String method, String path) {
    return Route.forPath(path)
        .filter(route -> !route.method.equals(method))
        .map(Api::methodNotAllowed)
        .orElseGet(() -> ApiResponse.error(noRoute(path)));
  }

  private static Failure noRoute(String path) {
    return new Failure(Failure.Kind.NOT_FOUND, "not_found", "No route " + Failure.excerpt(path, 60) + ".");
  }

  private static ApiResponse methodNotAllowed(Route route) {
    return ApiResponse.error(
            new Failure(Failure.Kind.METHOD_NOT_ALLOWED, "method_not_allowed", route.path + " only accepts " + route.method + "."))
        .withHeader("Allow", route.method);
  }

  /** Answers one request; unknown routes, wrong methods and large bodies are refused here, for every transport. */
  public ApiResponse handle(ApiRequest request) {
    try (Log.Scope scope = Log.keepingContext()) {
      Route route = Route.forPath(request.path()).orElseThrow(() -> noRoute(request.path()));
      if (!route.method.equals(request.method())) {
        return methodNotAllowed(route);
      }
      String body = request.body();
      int limit = maxBodyBytes(route);
      if (body != null && body.getBytes(StandardCharsets.UTF_8).length > limit) {
        throw new Failure(
            Failure.Kind.TOO_LARGE, "body_too_large", "The body is larger than " + limit + " bytes.");
      }
      return route(route, body == null || body.isBlank() ? "{}" : body, request.query(), request.caller());
    } catch (Failure failure) {
      return ApiResponse.error(failure);
    } catch (ConfigException misconfigured) {
      // Found only now (a secret that does not exist): not the caller's fault; say it in one line.
      Log.warn("configuration error: " + misconfigured.getMessage());
      return ApiResponse.error(new Failure(Failure.Kind.INTERNAL, "misconfigured", misconfigured.getMessage()));
    } catch (RuntimeException bug) {
      // A bug, not bad input: the trace for us in the log, one sentence for the caller.
      Log.error("unexpected error on " + Failure.excerpt(request.path(), 60) + ": " + bug, bug);
      return ApiResponse.error(
          new Failure(Failure.Kind.INTERNAL, "internal_error", "Internal error; see the function's logs."));
    }
  }

  private ApiResponse route(Route route, String body, Map<String, String> query, Optional<String> caller) {
    return switch (route) {
      case CREATE -> create(body, caller);
      case LIST -> list(query, body, caller);
      case EXTEND -> extend(body);
      case DESTROY -> destroy(body);
      case DESTROY_ALL -> ApiResponse.ok(200, vms.destroyAll(dryRun(body)));
      case DESTROY_OLD -> ApiResponse.ok(200, vms.destroyOld(dryRun(body)));
      case DESTROY_SELF -> destroySelf(body);
      case REPORT -> report(body);
      case OUTPUT -> outputAndConsole.output(body);
      case LOGS -> outputAndConsole.logs(query, body);
      case CONSOLE -> outputAndConsole.console(query, body);
      case CLAIM -> claim(body);
      case POOL -> ApiResponse.ok(200, vms.topUpPool(dryRun(body)));
    };
  }

  private ApiResponse create(String body, Optional<String> caller) {
    Fields f = Fields.of(
        Json.parse(body), Set.of("nix_toplevel", "nix_binary", "args", "instance_type", "instance_types", "spot", "ttl_minutes"));
    Optional<StorePath> toplevel = f.optionalString("nix_toplevel").map(p -> storePath("nix_toplevel", p));
    Optional<BinaryPath> binary = f.optionalString("nix_binary").map(Api::binaryPath);
    Optional<List<String>> args = f.optionalStrings("args");
    if (toplevel.isPresent() && binary.isPresent()) {
      throw Failure.badRequest("both_paths", "Give nix_toplevel or nix_binary, not both.");
    }
    if (args.isPresent() && binary.isEmpty()) {
      throw Failure.badRequest("args_without_program", "args are a program's arguments: give them with nix_binary only.");
    }
    Workload workload =
        toplevel.<Workload>map(Workload.Toplevel::new)
            .or(() -> binary.map(b -> new Workload.Program(b, args.orElse(List.of()))))
            .orElse(new Workload.BaseImage());
    Optional<String> instanceType = f.optionalString("instance_type");
    Optional<List<String>> instanceTypes = f.optionalStrings("instance_types");
    if (instanceType.isPresent() && instanceTypes.isPresent()) {
      throw Failure.badRequest("both_instance_type_fields", "Give instance_type or instance_types, not both.");
    }
    if (instanceTypes.isPresent() && instanceTypes.get().isEmpty()) {
      throw Failure.badRequest("no_instance_types", "instance_types lists at least one type (or leave it out for the default).");
    }
    CreateRequest request =
        new CreateRequest(
            workload,
            instanceTypes.or(() -> instanceType.map(List::of)).orElse(List.of()),
            f.optionalBoolean("spot", false),
            f.optionalInt("ttl_minutes"),
            caller);
    return ApiResponse.ok(201, Map.of("vm", vms.create(request)));
  }

  /**
   * {@code GET /list}, or {@code ?owner=me} for the caller's own VMs. A direct invocation has no
   * query: its payload's {@code owner} counts instead, and anything else in it is ignored.
   */
  private ApiResponse list(Map<String, String> query, String body, Optional<String> caller) {
    String owner = query.isEmpty() ? ownerInPayload(body) : query.get("owner");
    if (owner == null) {
      return ApiResponse.ok(200, Map.of("vms", vms.list()));
    }
    if (!owner.equals("me")) {
      throw Failure.badRequest("invalid_owner", "owner takes one value, me (the caller's own VMs).");
    }
    String me = caller.orElseThrow(() -> Failure.badRequest(
        "caller_unknown", "owner=me needs to know the caller: call GET /list through the API (IAM auth), thebacknd serve or --local."));
    return ApiResponse.ok(200, Map.of("vms", vms.listOwnedBy(me)));
  }

  private static String ownerInPayload(String body) {
    try {
      JsonNode owner = Json.parse(body).path("owner");
      return owner.isTextual() ? owner.asText() : null;
    } catch (Failure notJson) {
      return null;
    }
  }

  private ApiResponse extend(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("name", "ttl_minutes", "vm_id"));
    return ApiResponse.ok(
        200, Map.of("vm", vms.extend(f.requiredString("name"), f.requiredInt("ttl_minutes"), f.optionalString("vm_id"))));
  }

  private ApiResponse destroy(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("name", "dry_run", "vm_id"));
    return ApiResponse.ok(
        200, vms.destroyByName(f.requiredString("name"), f.optionalBoolean("dry_run", false), f.optionalString("vm_id")));
  }

  private ApiResponse destroySelf(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("vm_id", "vm_killcode"));
    return ApiResponse.ok(200, vms.destroySelf(f.requiredString("vm_id"), f.requiredString("vm_killcode")));
  }

  private ApiResponse claim(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("vm_id", "vm_killcode"));
    return ApiResponse.ok(200, vms.claim(f.requiredString("vm_id"), f.requiredString("vm_killcode")));
  }

  /** Whether {@code thebacknd serve} tops up a warm pool (at start and every minute). */
  public boolean poolConfigured() {
    return vms.poolConfigured();
  }

  private ApiResponse report(String body) {
    JsonNode parsed = Json.parse(body);
    Fields f = Fields.of(parsed, Set.of("vm_id", "vm_killcode", "phase", "detail", "exit_code", "timings"));
    String vmId = f.requiredString("vm_id");
    String killCode = f.requiredString("vm_killcode");
    String phaseText = f.requiredString("phase");
    Phase phase =
        Phase.parse(phaseText)
            .orElseThrow(() -> Failure.badRequest("invalid_phase", "phase must be one of " + Phase.allowed() + "."));
    JsonNode timings = parsed.get("timings");
    Optional<Timings> measured = timings == null || timings.isNull() ? Optional.empty() : Optional.of(Timings.parse(timings));
    return ApiResponse.ok(
        200, vms.report(vmId, killCode, phase, f.optionalString("detail"), f.optionalInt("exit_code"), measured));
  }

  private static boolean dryRun(String body) {
    return Fields.of(Json.parse(body), Set.of("dry_run")).optionalBoolean("dry_run", false);
  }

  private static StorePath storePath(String field, String text) {
    try {
      return StorePath.parse(text);
    } catch (IllegalArgumentException e) {
      throw Failure.badRequest("invalid_store_path", field + ": " + e.getMessage() + ".");
    }
  }

  private static BinaryPath binaryPath(String text) {
    try {
      return BinaryPath.parse(text);
    } catch (IllegalArgumentException e) {
      throw Failure.badRequest("invalid_binary_path", "nix_binary: " + e.getMessage() + ".");
    }
  }
}
