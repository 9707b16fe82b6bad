package thebacknd.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
import thebacknd.vm.FlakeRef;
import thebacknd.vm.NixPackages;
import thebacknd.vm.Phase;
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
    };
  }

  private ApiResponse create(String body, Optional<String> caller) {
    Fields f = Fields.of(
        Json.parse(body),
        Set.of("nix_toplevel", "nix_binary", "nix_flake", "nix_packages", "args", "instance_type", "instance_types", "spot",
            "ttl_minutes"));
    Workload workload = workload(f);
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
   * What a create asks the VM to run: at most one of {@code nix_toplevel}, {@code nix_binary},
   * {@code nix_flake} and {@code nix_packages}; {@code args} with a program or a flake, and
   * required (the command) with packages.
   */
  private static Workload workload(Fields f) {
    Optional<String> toplevelText = f.optionalString("nix_toplevel");
    Optional<String> binaryText = f.optionalString("nix_binary");
    Optional<String> flakeText = f.optionalString("nix_flake");
    Optional<List<String>> packageNames = f.optionalStrings("nix_packages");
    Optional<List<String>> args = f.optionalStrings("args");
    List<String> given = new ArrayList<>();
    toplevelText.ifPresent(t -> given.add("nix_toplevel"));
    binaryText.ifPresent(t -> given.add("nix_binary"));
    flakeText.ifPresent(t -> given.add("nix_flake"));
    packageNames.ifPresent(t -> given.add("nix_packages"));
    if (given.size() > 1) {
      throw Failure.badRequest(
          "both_paths", "Give at most one of nix_toplevel, nix_binary, nix_flake and nix_packages, not " + String.join(" and ", given) + ".");
    }
    if (toplevelText.isPresent()) {
      if (args.isPresent()) {
        throw argsWithoutProgram();
      }
      return new Workload.Toplevel(storePath("nix_toplevel", toplevelText.get()));
    }
    if (binaryText.isPresent()) {
      return new Workload.Program(binaryPath(binaryText.get()), args.orElse(List.of()));
    }
    if (flakeText.isPresent()) {
      return new Workload.FlakeBuild(flakeRef(flakeText.get()), args.orElse(List.of()));
    }
    if (packageNames.isPresent()) {
      NixPackages packages = nixPackages(packageNames.get());
      if (args.isEmpty() || args.get().isEmpty()) {
        throw Failure.badRequest(
            "missing_command", "nix_packages needs args: the command to run with them on its PATH, then its arguments.");
      }
      return new Workload.Shell(packages, args.get());
    }
    if (args.isPresent()) {
      throw argsWithoutProgram();
    }
    return new Workload.BaseImage();
  }

  private static Failure argsWithoutProgram() {
    return Failure.badRequest(
        "args_without_program", "args are a program's arguments: give them with nix_binary, nix_flake or nix_packages only.");
  }

  private static FlakeRef flakeRef(String text) {
    try {
      return FlakeRef.parse(text);
    } catch (IllegalArgumentException e) {
      throw Failure.badRequest(
          "invalid_flake_ref", "nix_flake \"" + Failure.excerpt(text, 80) + "\" is refused: " + e.getMessage() + ".");
    }
  }

  private static NixPackages nixPackages(List<String> names) {
    try {
      return NixPackages.parse(names);
    } catch (IllegalArgumentException e) {
      throw Failure.badRequest("invalid_packages", "nix_packages: " + e.getMessage() + ".");
    }
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

  private ApiResponse report(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("vm_id", "vm_killcode", "phase", "detail", "exit_code"));
    String vmId = f.requiredString("vm_id");
    String killCode = f.requiredString("vm_killcode");
    String phaseText = f.requiredString("phase");
    Phase phase =
        Phase.parse(phaseText)
            .orElseThrow(() -> Failure.badRequest("invalid_phase", "phase must be one of " + Phase.allowed() + "."));
    return ApiResponse.ok(200, vms.report(vmId, killCode, phase, f.optionalString("detail"), f.optionalInt("exit_code")));
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
