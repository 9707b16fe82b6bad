package thebacknd.cache;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A {@code <hash>.narinfo} file of a Nix binary cache: {@code Name: value} lines, each ending with
 * a newline. Parsing follows Nix ({@code nar-info.cc}): StorePath, URL, NarHash and a non-zero
 * NarSize are required, Compression defaults to bzip2, unknown fields are ignored. It is stricter
 * where Nix would silently pick one of two answers: a field given twice is malformed.
 *
 * @param narHash always {@code sha256:<Nix base32>}, whatever form the file used (Nix does the same)
 * @param references sorted by base name and without duplicates, as Nix holds and signs them
 */
public record NarInfo(
    StorePath storePath,
    String url,
    String compression,
    Optional<String> fileHash,
    OptionalLong fileSize,
    String narHash,
    long narSize,
    List<StorePath> references,
    Optional<StorePath> deriver,
    List<String> sigs,
    Optional<String> ca) {

  private static final Set<String> SINGLE_FIELDS =
      Set.of("StorePath", "URL", "Compression", "FileHash", "FileSize", "NarHash", "NarSize", "References", "Deriver", "CA");

  public NarInfo {
    references = List.copyOf(references);
    sigs = List.copyOf(sigs);
  }

  /**
   * What the signatures sign: {@code 1;<store path>;<NAR hash>;<NAR size>;<references as full
   * paths, comma-joined>}.
   */
  public String fingerprint() {
    return "1;" + storePath + ";" + narHash + ";" + narSize + ";"
        + references.stream().map(StorePath::toString).collect(Collectors.joining(","));
  }

  /** Parses a narinfo; the message of the exception says what is malformed, and on which line. */
  public static NarInfo parse(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("the narinfo is empty");
    }
    if (!text.endsWith("\n")) {
      throw new IllegalArgumentException("the last line of the narinfo does not end with a newline");
    }
    Builder b = new Builder();
    Set<String> seen = new HashSet<>();
    String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int colon = line.indexOf(':');
      if (colon <= 0 || line.length() < colon + 2 || line.charAt(colon + 1) != ' ') {
        throw new IllegalArgumentException("line " + (i + 1) + " is not 'Name: value'");
      }
      String name = line.substring(0, colon);
      String value = line.substring(colon + 2);
      if (SINGLE_FIELDS.contains(name) && !seen.add(name)) {
        throw new IllegalArgumentException(name + " appears twice (line " + (i + 1) + ")");
      }
      try {
        b.field(name, value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + " on line " + (i + 1) + ": " + e.getMessage());
      }
    }
    return b.build();
  }

  /** Collects fields line by line; {@link #build} checks the required ones are there. */
  private static final class Builder {
    StorePath storePath;
    String url;
    String compression;
    String fileHash;
    Long fileSize;
    String narHash;
    Long narSize;
    List<StorePath> references = List.of();
    StorePath deriver;
    final List<String> sigs = new ArrayList<>();
    String ca;

    void field(String name, String value) {
      switch (name) {
        case "StorePath" -> storePath = StorePath.parse(value);
        case "URL" -> url = value;
        case "Compression" -> compression = value;
        case "FileHash" -> fileHash = NixHash.normalise(value);
        case "FileSize" -> fileSize = unsigned(value);
        case "NarHash" -> narHash = NixHash.normalise(value);
        case "NarSize" -> narSize = unsigned(value);
        case "References" -> references = references(value);
        case "Deriver" -> deriver = "unknown-deriver".equals(value) ? null : StorePath.parseBaseName(value);
        case "Sig" -> sigs.add(value);
        case "CA" -> ca = value;
        default -> {
          // Nix ignores fields it does not know (System, …); so do we.
        }
      }
    }

    NarInfo build() {
      if (storePath == null) {
        throw new IllegalArgumentException("StorePath is missing");
      }
      if (narHash == null) {
        throw new IllegalArgumentException("NarHash is missing");
      }
      if (url == null || url.isEmpty()) {
        throw new IllegalArgumentException("URL is missing");
      }
      if (narSize == null || narSize == 0) {
        throw new IllegalArgumentException("NarSize is missing or zero");
      }
      return new NarInfo(
          storePath,
          url,
          compression == null || compression.isEmpty() ? "bzip2" : compression,
          Optional.ofNullable(fileHash),
          fileSize == null ? OptionalLong.empty() : OptionalLong.of(fileSize),
          narHash,
          narSize,
          references,
          Optional.ofNullable(deriver),
          sigs,
          Optional.ofNullable(ca));
    }

    private static long unsigned(String value) {
      if (!value.matches("[0-9]{1,20}")) {
        throw new IllegalArgumentException("not a non-negative integer: '" + value + "'");
      }
      try {
        return Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("too large: " + value);
      }
    }

    private static List<StorePath> references(String value) {
      TreeSet<String> baseNames = new TreeSet<>();
      for (String token : value.split(" ")) {
        if (!token.isEmpty()) {
          baseNames.add(token);
        }
      }
      return baseNames.stream().map(StorePath::parseBaseName).toList();
    }
  }
}
