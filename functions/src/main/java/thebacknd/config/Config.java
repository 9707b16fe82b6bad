package thebacknd.config;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import thebacknd.cache.CacheLocation;
import thebacknd.cache.TrustedKeys;
import thebacknd.cache.UpstreamCache;
import thebacknd.output.OutputLocation;

/**
 * Every setting of DESIGN §3, read once from the environment, parsed and checked at start-up, so
 * a mistake is one line naming the variable instead of a failure at the first request.
 *
 * <p>Settings only {@code create} needs ({@code THEBACKND_IMAGE_ID}, {@code THEBACKND_API_URL})
 * are optional here and demanded by {@link #requireLaunchSettings()}.
 *
 * @param nixCache the cache URL as given (VMs get it in their user-data); {@code cacheLocation}
 *     is the same, parsed
 * @param allowVmBuilds {@code THEBACKND_ALLOW_VM_BUILDS}: whether creates may ask a VM to build a
 *     flake or realise packages (code no signature vouched for)
 * @param upstreamCaches {@code THEBACKND_UPSTREAM_CACHES}: what such a build may substitute from
 *     besides the thebacknd cache
 */
public record Config(
    Optional<Secret> secret,
    Optional<String> secretArn,
    Optional<Secret> previousSecret,
    Optional<String> imageId,
    String defaultInstanceType,
    Set<String> allowedInstanceTypes,
    Duration defaultTtl,
    Duration maxTtl,
    int maxVms,
    Optional<String> instanceProfile,
    Optional<String> subnetId,
    List<String> securityGroupIds,
    Optional<String> keyName,
    Optional<URI> apiUrl,
    String nixCache,
    CacheLocation cacheLocation,
    TrustedKeys trustedKeys,
    boolean verifyCache,
    Optional<String> leasesTable,
    Optional<OutputLocation> outputBucket,
    int maxOutputKib,
    Duration bootTimeout,
    SpotFallback spotFallback,
    Duration failedKeep,
    boolean allowVmBuilds,
    List<UpstreamCache> upstreamCaches) {

  private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z0-9][a-z0-9-]*\\.[a-z0-9]+");
  /** A DynamoDB table name, or a table ARN. */
  private static final Pattern TABLE =
      Pattern.compile("[A-Za-z0-9_.-]{3,255}|arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}");

  public static Config fromEnvironment(Map<String, String> env) {
    Env e = new Env(env);
    Optional<String> secret = e.optional("THEBACKND_SECRET");
    Optional<String> secretArn = e.optional("THEBACKND_SECRET_ARN");
    if (secret.isEmpty() && secretArn.isEmpty()) {
      throw new ConfigException(
          "THEBACKND_SECRET is required (or THEBACKND_SECRET_ARN naming a Secrets Manager secret)");
    }
    secret.ifPresent(s -> requireStrongSecret("THEBACKND_SECRET", s));
    Optional<String> previous = e.optional("THEBACKND_PREVIOUS_SECRET");
    previous.ifPresent(s -> requireStrongSecret("THEBACKND_PREVIOUS_SECRET", s));

    String instanceType = e.optional("THEBACKND_INSTANCE_TYPE").orElse("t3.micro");
    requireInstanceType("THEBACKND_INSTANCE_TYPE", instanceType);
    Set<String> allowed = new LinkedHashSet<>(e.list("THEBACKND_ALLOWED_INSTANCE_TYPES"));
    allowed.forEach(t -> requireInstanceType("THEBACKND_ALLOWED_INSTANCE_TYPES", t));
    allowed.add(instanceType);

    int ttl = e.positiveInt("THEBACKND_TTL_MINUTES", 60);
    int maxTtl = e.positiveInt("THEBACKND_MAX_TTL_MINUTES", 720);
    if (ttl > maxTtl) {
      throw new ConfigException(
          "THEBACKND_TTL_MINUTES (" + ttl + ") exceeds THEBACKND_MAX_TTL_MINUTES (" + maxTtl + ")");
    }

    String nixCache = e.required("NIX_CACHE");
    CacheLocation cacheLocation = cacheLocation("NIX_CACHE", nixCache);
    TrustedKeys trustedKeys = trustedKeys("NIX_TRUSTED_KEY", e.required("NIX_TRUSTED_KEY"));

    return new Config(
        secret.map(Secret::new),
        secretArn,
        previous.map(Secret::new),
        e.optional("THEBACKND_IMAGE_ID"),
        instanceType,
        Set.copyOf(allowed),
        Duration.ofMinutes(ttl),
        Duration.ofMinutes(maxTtl),
        e.positiveInt("THEBACKND_MAX_VMS", 10),
        e.optional("THEBACKND_INSTANCE_PROFILE"),
        e.optional("THEBACKND_SUBNET_ID"),
        e.list("THEBACKND_SECURITY_GROUP_IDS"),
        e.optional("THEBACKND_KEY_NAME"),
        e.optional("THEBACKND_API_URL").map(u -> apiUrl(u)),
        nixCache,
        cacheLocation,
        trustedKeys,
        e.bool("THEBACKND_VERIFY_CACHE", true),
        e.optional("THEBACKND_LEASES_TABLE").map(Config::tableName),
        e.optional("THEBACKND_OUTPUT_BUCKET").map(b -> outputBucket("THEBACKND_OUTPUT_BUCKET", b)),
        e.positiveInt("THEBACKND_MAX_OUTPUT_KIB", 10240),
        // 0 is allowed: a VM that has not reported is unresponsive at once (tests, impatient setups).
        Duration.ofMinutes(e.nonNegativeInt("THEBACKND_BOOT_TIMEOUT_MINUTES", 15)),
        spotFallback(e.optional("THEBACKND_SPOT_FALLBACK").orElse(SpotFallback.ON_DEMAND.wire())),
        Duration.ofMinutes(e.positiveInt("THEBACKND_FAILED_KEEP_MINUTES", 15)),
        e.bool("THEBACKND_ALLOW_VM_BUILDS", false),
        upstreamCaches("THEBACKND_UPSTREAM_CACHES", e.optional("THEBACKND_UPSTREAM_CACHES").orElse("")));
  }

  public Config {
    upstreamCaches = List.copyOf(upstreamCaches);
  }

  private static List<UpstreamCache> upstreamCaches(String variable, String value) {
    try {
      return UpstreamCache.parseAll(value);
    } catch (IllegalArgumentException invalid) {
      throw new ConfigException(variable + " must be URL=KEY pairs separated by spaces: " + invalid.getMessage());
    }
  }

  private static SpotFallback spotFallback(String value) {
    return SpotFallback.parse(value)
        .orElseThrow(() -> new ConfigException("THEBACKND_SPOT_FALLBACK must be on-demand or none, got " + value));
  }

  private static OutputLocation outputBucket(String variable, String value) {
    try {
      return OutputLocation.parse(value);
    } catch (IllegalArgumentException invalid) {
      throw new ConfigException(variable + " must be a bucket name or bucket/prefix: " + invalid.getMessage());
    }
  }

  /** The trusted keys as user-data carries them and the agent reads them: one space between keys. */
  public String nixTrustedKey() {
    return trustedKeys.text();
  }

  /** Parses a cache URL given as {@code variable} (a variable or an option naming it). */
  public static CacheLocation cacheLocation(String variable, String url) {
    if (!CacheLocation.hasKnownScheme(url)) {
      throw new ConfigException(variable + " must be s3://bucket[/prefix]?region=… or an http(s):// URL, got " + url);
    }
    try {
      return CacheLocation.parse(url);
    } catch (IllegalArgumentException invalid) {
      throw new ConfigException(variable + " is not a valid cache URL: " + invalid.getMessage());
    }
  }

  /** Parses trusted public keys given as {@code variable}. */
  public static TrustedKeys trustedKeys(String variable, String keys) {
    try {
      return TrustedKeys.parse(keys);
    } catch (IllegalArgumentException invalid) {
      throw new ConfigException(variable + " is invalid: " + invalid.getMessage());
    }
  }

  /** What {@code create} needs on top of the rest; checked when the create function starts. */
  public void requireLaunchSettings() {
    if (imageId.isEmpty()) {
      throw new ConfigException("THEBACKND_IMAGE_ID is required to create VMs (the base image AMI)");
    }
    if (apiUrl.isEmpty()) {
      throw new ConfigException(
          "THEBACKND_API_URL is required to create VMs (VMs call it back to report and self-destroy)");
    }
  }

  /** What create and the destroys need: the names and the cap are leases in this table (DESIGN §9). */
  public String requireLeasesTable() {
    return leasesTable.orElseThrow(
        () -> new ConfigException(
            "THEBACKND_LEASES_TABLE is required to create, find and destroy VMs (the DynamoDB table of name leases)"));
  }

  private static String tableName(String value) {
    if (!TABLE.matcher(value).matches()) {
      throw new ConfigException("THEBACKND_LEASES_TABLE must be a DynamoDB table name or ARN, got " + value);
    }
    return value;
  }

  private static URI apiUrl(String value) {
    try {
      URI uri = URI.create(value);
      if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new IllegalArgumentException();
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw new ConfigException("THEBACKND_API_URL must be an http(s) URL, got " + value);
    }
  }

  private static void requireStrongSecret(String name, String value) {
    if (value.length() < 16) {
      throw new ConfigException(name + " must be at least 16 characters long");
    }
  }

  private static void requireInstanceType(String name, String value) {
    if (!INSTANCE_TYPE.matcher(value).matches()) {
      throw new ConfigException(name + " has an invalid instance type: " + value);
    }
  }

  /** Small typed reader over the environment map; every error names its variable. */
  private record Env(Map<String, String> env) {

    Optional<String> optional(String name) {
      String value = env.get(name);
      return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    String required(String name) {
      return optional(name).orElseThrow(() -> new ConfigException(name + " is required"));
    }

    List<String> list(String name) {
      return optional(name)
          .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
          .orElse(List.of());
    }

    int positiveInt(String name, int fallback) {
      return intAtLeast(name, fallback, 1, "a positive integer");
    }

    int nonNegativeInt(String name, int fallback) {
      return intAtLeast(name, fallback, 0, "a whole number of minutes (0 or more)");
    }

    private int intAtLeast(String name, int fallback, int least, String expected) {
      Optional<String> value = optional(name);
      if (value.isEmpty()) {
        return fallback;
      }
      try {
        int parsed = Integer.parseInt(value.get());
        if (parsed >= least) {
          return parsed;
        }
      } catch (NumberFormatException ignored) {
        // fall through to the one-line error below
      }
      throw new ConfigException(name + " must be " + expected + ", got " + value.get());
    }

    boolean bool(String name, boolean fallback) {
      Optional<String> value = optional(name);
      if (value.isEmpty()) {
        return fallback;
      }
      return switch (value.get().toLowerCase()) {
        case "true", "1", "yes" -> true;
        case "false", "0", "no" -> false;
        default -> throw new ConfigException(name + " must be true or false, got " + value.get());
      };
    }
  }
}
