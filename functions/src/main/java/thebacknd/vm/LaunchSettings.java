package thebacknd.vm;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import thebacknd.cache.UpstreamCache;
import thebacknd.config.Config;

/**
 * What every launch of this deployment shares: the base image, the VMs' instance profile, network
 * and SSH key, and what their user-data tells them about the API, the cache (and the upstream caches
 * a build on the VM may use) and how long a failed VM stays up. Built once, when a
 * process that creates VMs starts.
 */
public record LaunchSettings(
    String imageId,
    Optional<String> instanceProfile,
    Optional<String> subnetId,
    List<String> securityGroupIds,
    Optional<String> keyName,
    URI apiUrl,
    String nixCache,
    String nixTrustedKey,
    int failedKeepMinutes,
    List<UpstreamCache> upstreamCaches) {

  public LaunchSettings {
    securityGroupIds = List.copyOf(securityGroupIds);
    upstreamCaches = List.copyOf(upstreamCaches);
  }

  /** The settings of {@code config}; a missing image or API URL is a one-line ConfigException. */
  public static LaunchSettings from(Config config) {
    config.requireLaunchSettings();
    return new LaunchSettings(
        config.imageId().orElseThrow(),
        config.instanceProfile(),
        config.subnetId(),
        config.securityGroupIds(),
        config.keyName(),
        config.apiUrl().orElseThrow(),
        config.nixCache(),
        config.nixTrustedKey(),
        (int) config.failedKeep().toMinutes(),
        config.upstreamCaches());
  }
}
