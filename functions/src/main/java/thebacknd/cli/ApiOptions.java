package thebacknd.cli;

import java.net.URI;
import java.util.Map;
import picocli.CommandLine.Option;
import thebacknd.config.ConfigException;
import thebacknd.edge.App;

/** Where commands send their calls, and how they print the answers. */
final class ApiOptions {

  @Option(names = "--local", description = "Call the domain code in-process with your own AWS credentials instead of the API.")
  boolean local;

  @Option(names = "--api-url", paramLabel = "URL", description = "Base URL of the API (default: $THEBACKND_API_URL).")
  String apiUrl;

  @Option(names = "--json", description = "Print the API's JSON answer instead of a human summary.")
  boolean json;

  ApiClient client(Map<String, String> env) {
    if (local) {
      return new LocalApiClient(App.fromEnvironment(env), App.localUser(env));
    }
    String url = apiUrl != null ? apiUrl : env.get("THEBACKND_API_URL");
    if (url == null || url.isBlank()) {
      throw new ConfigException("THEBACKND_API_URL is required (or --api-url URL, or --local)");
    }
    try {
      URI uri = URI.create(url);
      if (uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
        throw new IllegalArgumentException();
      }
      return HttpApiClient.forUrl(uri, env);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new ConfigException("THEBACKND_API_URL must be an http(s) URL, got " + url);
    }
  }
}
