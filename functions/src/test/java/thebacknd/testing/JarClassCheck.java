package thebacknd.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a JVM of its own over the shaded jar ({@code java -cp JAR:TEST-CLASSES ...}): initialises
 * every class TrimJar kept as used, and loads every class it kept as loadable only, from the jar.
 * Prints the failures, one a line, and exits 1 when there is any.
 *
 * <p>Usage: JarClassCheck TRIM-REPORT CLASS… (the CLASS… are initialised too: the handlers, the
 * SDK clients, whose verification loads the loadable classes)
 */
public final class JarClassCheck {

  private JarClassCheck() {}

  public static void main(String[] args) throws Exception {
    ClassLoader loader = JarClassCheck.class.getClassLoader();
    List<String> failures = new ArrayList<>();
    int initialised = 0;
    int loaded = 0;
    List<String> lines = new ArrayList<>(Files.readAllLines(Path.of(args[0])));
    for (int i = 1; i < args.length; i++) {
      lines.add("used " + args[i].replace('.', '/'));
    }
    for (String line : lines) {
      String[] parts = line.split(" ", 2);
      boolean used = parts[0].equals("used");
      String name = parts[1].replace('/', '.');
      try {
        Class.forName(name, used, loader);
        if (used) {
          initialised++;
        } else {
          loaded++;
        }
      } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
        failures.add(line + ": " + e);
      }
    }
    failures.forEach(System.out::println);
    System.out.println("initialised " + initialised + ", loaded " + loaded + ", failed " + failures.size());
    System.exit(failures.isEmpty() ? 0 : 1);
  }
}
