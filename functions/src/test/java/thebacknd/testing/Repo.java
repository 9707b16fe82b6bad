package thebacknd.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root, wherever the tests run from. */
public final class Repo {

  private Repo() {}

  public static Path root() {
    String fromMaven = System.getProperty("thebacknd.repo");
    Path start = fromMaven != null ? Path.of(fromMaven) : Path.of("").toAbsolutePath();
    for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("functions")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the repository root from " + start);
  }
}
