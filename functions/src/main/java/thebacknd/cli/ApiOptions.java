package thebacknd.cli;

import java.net.URI;
import java.util.List;
import java.util.Map;
import thebacknd.cli.Spec.Option;
import thebacknd.config.ConfigException;
import thebacknd.edge.App;

/** Where commands send their calls (--local, --api-url), and how they print the answers (--json). */
final class ApiOptions {

  static final List<Option> OPTIONS = List.of(
      Option.flag("--json", "Print the API's JSON answer instead of a human summary."),
      Option.flag("--local", "Call the domain code in-process with your own AWS credentials instead of the API."),
      Option.value("--api-url", "URL", "Base URL of the API (default: $THEBACKND_API_URL)."));

  final boolean json;
  final boolean local;
  final String apiUrl;

  private ApiOptions(boolean json, boolean local, String apiUrl) {
    this.json = json;
    this.local = local;
    this.apiUrl = apiUrl;
  }

  static ApiOptions of(Invocation in) {
    return new ApiOptions(in.flag("--json"), in.flag("--local"), in.value("--api-url"));
  }

  ApiClient client(Map<String, String> env) {
    if (local) {
      AwsSettings.check(env);
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
