package thebacknd.edge;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import thebacknd.Failure;
import thebacknd.Json;
import thebacknd.Log;
import thebacknd.cache.BinaryPath;
import thebacknd.cache.StorePath;
import thebacknd.config.ConfigException;
import thebacknd.vm.CreateRequest;
import thebacknd.vm.Phase;
import thebacknd.vm.VmService;
import thebacknd.vm.Workload;

/**
 * The HTTP API of DESIGN §4 as plain method calls: {@link ApiRequest} in, {@link ApiResponse} out.
 * Lambda handlers, the local server and the CLI's --local mode all go through {@link #handle}, so
 * they share routing, parsing, validation and error mapping. Each route is parse → domain → render.
 */
public final class Api {

  public static final int MAX_BODY_BYTES = 16 * 1024;

  private final VmService vms;

  public Api(VmService vms) {
    this.vms = vms;
  }

  /** A request to one endpoint with its own method: the CLI's --local calls, tests. */
  public ApiResponse handle(Endpoint endpoint, String body) {
    return handle(ApiRequest.to(endpoint, body));
  }

  /** Answers one request; unknown routes, wrong methods and large bodies are refused here, for every transport. */
  public ApiResponse handle(ApiRequest request) {
    try {
      Endpoint endpoint =
          Endpoint.forPath(request.path())
              .orElseThrow(() -> new Failure(Failure.Kind.NOT_FOUND, "not_found", "No route " + Failure.excerpt(request.path(), 60) + "."));
      if (!endpoint.method.equals(request.method())) {
        return ApiResponse.error(
                new Failure(Failure.Kind.METHOD_NOT_ALLOWED, "method_not_allowed", endpoint.path + " only accepts " + endpoint.method + "."))
            .withHeader("Allow", endpoint.method);
      }
      String body = request.body();
      if (body != null && body.getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES) {
        throw new Failure(
            Failure.Kind.TOO_LARGE, "body_too_large", "The body is larger than " + MAX_BODY_BYTES + " bytes.");
      }
      return route(endpoint, body == null || body.isBlank() ? "{}" : body);
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

  private ApiResponse route(Endpoint endpoint, String body) {
    return switch (endpoint) {
      case CREATE -> create(body);
      case LIST -> ApiResponse.ok(200, Map.of("vms", vms.list()));
      case DESTROY -> destroy(body);
      case DESTROY_ALL -> ApiResponse.ok(200, vms.destroyAll(dryRun(body)));
      case DESTROY_OLD -> ApiResponse.ok(200, vms.destroyOld(dryRun(body)));
      case DESTROY_SELF -> destroySelf(body);
      case REPORT -> report(body);
    };
  }

  private ApiResponse create(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("nix_toplevel", "nix_binary", "instance_type", "ttl_minutes"));
    Optional<StorePath> toplevel = f.optionalString("nix_toplevel").map(p -> storePath("nix_toplevel", p));
    Optional<BinaryPath> binary = f.optionalString("nix_binary").map(Api::binaryPath);
    if (toplevel.isPresent() && binary.isPresent()) {
      throw Failure.badRequest("both_paths", "Give nix_toplevel or nix_binary, not both.");
    }
    Workload workload =
        toplevel.<Workload>map(Workload.Toplevel::new)
            .or(() -> binary.map(Workload.Program::new))
            .orElse(new Workload.BaseImage());
    CreateRequest request = new CreateRequest(workload, f.optionalString("instance_type"), f.optionalInt("ttl_minutes"));
    return ApiResponse.ok(201, Map.of("vm", vms.create(request)));
  }

  private ApiResponse destroy(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("name", "dry_run"));
    return ApiResponse.ok(200, vms.destroyByName(f.requiredString("name"), f.optionalBoolean("dry_run", false)));
  }

  private ApiResponse destroySelf(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("vm_id", "vm_killcode"));
    return ApiResponse.ok(200, vms.destroySelf(f.requiredString("vm_id"), f.requiredString("vm_killcode")));
  }

  private ApiResponse report(String body) {
    Fields f = Fields.of(Json.parse(body), Set.of("vm_id", "vm_killcode", "phase", "detail"));
    String vmId = f.requiredString("vm_id");
    String killCode = f.requiredString("vm_killcode");
    String phaseText = f.requiredString("phase");
    Phase phase =
        Phase.parse(phaseText)
            .orElseThrow(() -> Failure.badRequest("invalid_phase", "phase must be one of " + Phase.allowed() + "."));
    return ApiResponse.ok(200, vms.report(vmId, killCode, phase, f.optionalString("detail")));
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
