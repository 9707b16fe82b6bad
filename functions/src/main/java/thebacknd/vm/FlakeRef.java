package thebacknd.vm;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A flake reference a VM may fetch and build ({@code create}'s {@code nix_flake}): {@code
 * FLAKEREF#ATTR}, kept exactly as given. Only references that name a remote source the VM can
 * reach are accepted, so nothing on the VM's own disk (or the function's) is ever built:
 *
 * <ul>
 *   <li>{@code github:OWNER/REPO[/REF][?…]}, {@code gitlab:…}, {@code sourcehut:~OWNER/REPO[…]};
 *   <li>{@code git+https://HOST/…}, {@code git+ssh://[USER@]HOST/…}, {@code https://HOST/…} (a
 *       tarball);
 *   <li>{@code git+http://} to a loopback host only ({@code localhost}, {@code 127.0.0.0/8}): on
 *       a VM that reaches nothing but the VM itself; the lab serves its Git repositories so.
 * </ul>
 *
 * <p>{@code path:}, {@code file:}, {@code git+file:}, bare paths ({@code .}, {@code ./x},
 * {@code /x}) and registry names ({@code nixpkgs#hello}) are refused. The whole reference is at
 * most {@link #MAX_BYTES} bytes of printable ASCII (no whitespace, no control characters: what a
 * URL holds once percent-encoded), with exactly one {@code #} followed by an attribute path
 * ({@code packages.x86_64-linux.greet}, {@code nixosConfigurations.web}). A URL carries no
 * password, and only {@code git+ssh://} a user name: a reference is shown in tags and logs.
 *
 * @param text the reference as given, {@code #ATTR} included
 * @param scheme {@code github}, {@code git+https}, …
 * @param attribute the attribute path after {@code #}
 */
public record FlakeRef(String text, String scheme, String attribute) {

  public static final int MAX_BYTES = 1024;
  public static final List<String> SCHEMES =
      List.of("github", "gitlab", "sourcehut", "git+https", "git+ssh", "https", "git+http");

  /** {@code OWNER/REPO[/REF-OR-REV]} of github:, gitlab: and sourcehut: ({@code %2F} for GitLab subgroups). */
  private static final Pattern FORGE_PATH = Pattern.compile("~?[A-Za-z0-9_.%-]+/[A-Za-z0-9_.%-]+(/[A-Za-z0-9_.%/-]+)?");
  /** Query parameters ({@code ?ref=main&rev=…&dir=sub}): a conservative set of URL characters. */
  private static final Pattern QUERY = Pattern.compile("[A-Za-z0-9_.~%/+=&:@,-]*");
  /** One attribute name of the path: what Nix takes unquoted. */
  private static final String ATTRIBUTE_NAME = "[A-Za-z0-9_+][A-Za-z0-9_'+-]*";
  private static final Pattern ATTRIBUTE = Pattern.compile(ATTRIBUTE_NAME + "(\\." + ATTRIBUTE_NAME + ")*");
  private static final Pattern LOOPBACK_IPV4 =
      Pattern.compile("127\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){2}");
  private static final Pattern SSH_USER = Pattern.compile("[A-Za-z0-9_.-]+");

  /** Only a reference {@link #parse} accepts, with its own parts. */
  public FlakeRef {
    Parts parts = grammar(text);
    if (!parts.scheme().equals(scheme) || !parts.attribute().equals(attribute)) {
      throw new IllegalArgumentException("the scheme and attribute are not those of the reference");
    }
  }

  private record Parts(String scheme, String attribute) {}

  /** The reference as given; the exception's message says in one phrase why it is refused. */
  public static FlakeRef parse(String text) {
    Parts parts = grammar(text);
    return new FlakeRef(text, parts.scheme(), parts.attribute());
  }

  @Override
  public String toString() {
    return text;
  }

  private static Parts grammar(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("it is empty");
    }
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException("it is " + bytes + " bytes, more than " + MAX_BYTES);
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c <= ' ' || c >= 127) {
        throw new IllegalArgumentException(
            "it holds " + (c == ' ' || Character.isWhitespace(c) ? "whitespace" : c < ' ' || c == 127 ? "a control character" : "a non-ASCII character")
                + " at position " + i + " (percent-encode it)");
      }
    }
    int hash = text.indexOf('#');
    if (hash < 0) {
      throw new IllegalArgumentException("it names no attribute: add #ATTR (e.g. #packages.x86_64-linux.default)");
    }
    if (text.indexOf('#', hash + 1) >= 0) {
      throw new IllegalArgumentException("it holds more than one #");
    }
    String source = text.substring(0, hash);
    String attribute = text.substring(hash + 1);
    if (attribute.isEmpty()) {
      throw new IllegalArgumentException("the attribute after # is empty");
    }
    if (!ATTRIBUTE.matcher(attribute).matches()) {
      throw new IllegalArgumentException("the attribute after # is not an attribute path (names of letters, digits, _ ' + - joined by .)");
    }
    int colon = source.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(
          source.isEmpty() || source.startsWith(".") || source.startsWith("/") || source.startsWith("~")
              ? "a local path is never built on a VM: push the source to a Git host (github:, git+https:, …)"
              : "it has no scheme (registry names like nixpkgs are refused); use one of " + String.join(", ", SCHEMES));
    }
    String scheme = source.substring(0, colon);
    String rest = source.substring(colon + 1);
    switch (scheme) {
      case "github", "gitlab", "sourcehut" -> forge(scheme, rest);
      case "git+https", "https" -> url(source, scheme, false);
      case "git+ssh" -> url(source, scheme, true);
      case "git+http" -> loopback(url(source, scheme, false));
      case "path", "file", "git+file", "tarball+file", "file+file" ->
          throw new IllegalArgumentException(scheme + ": is a local path, never built on a VM");
      default -> throw new IllegalArgumentException(
          "the scheme " + (scheme.length() > 20 ? scheme.substring(0, 20) + "…" : scheme) + ": is not one of " + String.join(", ", SCHEMES));
    }
    return new Parts(scheme, attribute);
  }

  private static void forge(String scheme, String rest) {
    int question = rest.indexOf('?');
    String path = question < 0 ? rest : rest.substring(0, question);
    String query = question < 0 ? "" : rest.substring(question + 1);
    if (!FORGE_PATH.matcher(path).matches() || path.endsWith("/") || path.contains("//")) {
      throw new IllegalArgumentException(scheme + ": takes OWNER/REPO[/REF] (letters, digits, _ . % -), got '" + path + "'");
    }
    if (path.startsWith("~") != scheme.equals("sourcehut")) {
      throw new IllegalArgumentException(
          scheme.equals("sourcehut") ? "sourcehut: takes ~OWNER/REPO" : scheme + ": takes OWNER/REPO without a ~");
    }
    query(query);
  }

  private static void query(String query) {
    if (!QUERY.matcher(query).matches()) {
      throw new IllegalArgumentException("its query holds characters a reference does not need (letters, digits and _ . ~ % / + = & : @ , - only)");
    }
  }

  private static URI url(String source, String scheme, boolean userAllowed) {
    if (!source.startsWith(scheme + "://")) {
      throw new IllegalArgumentException(scheme + ": takes a URL, " + scheme + "://HOST/…");
    }
    URI uri;
    try {
      uri = new URI(source);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("it is not a URL: " + e.getReason());
    }
    if (uri.getHost() == null || uri.getRawAuthority() == null) {
      throw new IllegalArgumentException(scheme + ": needs a host name or address");
    }
    String user = uri.getRawUserInfo();
    if (user != null && (!userAllowed || !SSH_USER.matcher(user).matches())) {
      throw new IllegalArgumentException(
          userAllowed ? "git+ssh: takes a plain user name (USER@HOST), never a password" : "a URL here carries no user name or password");
    }
    if (uri.getRawPath() == null || uri.getRawPath().length() <= 1) {
      throw new IllegalArgumentException(scheme + ": names a repository or file: a path after the host");
    }
    if (uri.getRawQuery() != null) {
      query(uri.getRawQuery());
    }
    return uri;
  }

  private static void loopback(URI uri) {
    String host = uri.getHost();
    if (!host.equals("localhost") && !LOOPBACK_IPV4.matcher(host).matches()) {
      throw new IllegalArgumentException("git+http: reaches loopback hosts only (localhost, 127.0.0.0/8): use git+https");
    }
  }
}
