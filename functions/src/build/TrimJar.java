import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Shrinks the shaded jar, after the shade plugin (functions/pom.xml runs it with the source
 * launcher: {@code java TrimJar.java JAR REPORT}).
 *
 * <p>Why not the shade plugin's minimizeJar: it keeps every class some kept class names, and an
 * AWS SDK client ({@code Ec2Client}) names every operation of its service, so the EC2 model (20 MB,
 * 11,000 classes, of which we call five operations) would stay whole. So this trims only two areas,
 * where nothing is found by reflection or ServiceLoader:
 *
 * <ul>
 *   <li>{@code software/amazon/awssdk/services/SERVICE/{model,transform,paginators,waiters}/*}: the
 *       shapes, marshallers, paginators and waiters of each service's operations;
 *   <li>{@code org/bouncycastle/**}: of which we use one Ed25519 signature check.
 * </ul>
 *
 * In those areas a class is kept when it is
 *
 * <ul>
 *   <li><b>used</b>: named by our own classes ({@code thebacknd/**}), by a service descriptor
 *       ({@code META-INF/services}, {@code execution.interceptors}), a modeled exception (AWS
 *       errors are built by name), the request, response and marshaller of an operation any of
 *       those names, or named by a used class (the closure over the class files' constant pools);
 *   <li><b>loadable</b>: named by another kept class outside these areas (an interceptor's {@code
 *       instanceof}, an endpoint rule) or, for a client, one of its {@code *Request} classes (the
 *       bytecode verifier loads each to check {@code DefaultEc2Client}); such a class is loaded but
 *       never initialised for our calls, so it is kept with its supertypes only, not what it names.
 * </ul>
 *
 * Everything else of the jar is kept as it is. The report lists the used and loadable classes;
 * {@code ShadedJarIT} initialises every used one and loads every loadable one from the jar, and the
 * handlers and commands run from it in the other ITs: what this keeps is proven enough.
 */
public class TrimJar {

  private static final Pattern TRIMMED =
      Pattern.compile("software/amazon/awssdk/services/[^/]+/(model|transform|paginators|waiters)/[^/]+|org/bouncycastle/.+");
  private static final Pattern CLIENT = Pattern.compile("software/amazon/awssdk/services/.+/(Default)?[A-Za-z0-9]+Client(\\$[^/]*)?");
  private static final Pattern CLIENT_REQUEST = Pattern.compile("software/amazon/awssdk/services/.+/model/[A-Za-z0-9]+Request");
  private static final Pattern OPERATION = Pattern.compile("(software/amazon/awssdk/services/[^/]+/)model/([A-Za-z0-9]+)(Request|Response)");
  private static final Pattern EXCEPTION = Pattern.compile("software/amazon/awssdk/services/[^/]+/model/[A-Za-z0-9]+Exception");
  private static final Pattern VERSIONED = Pattern.compile("META-INF/versions/\\d+/(.+)\\.class");
  private static final Pattern DESCRIPTOR_CLASS = Pattern.compile("L([A-Za-z0-9_$/]+);");

  public static void main(String[] args) throws IOException {
    Path jar = Path.of(args[0]);
    Path report = Path.of(args[1]);
    Map<String, byte[]> entries = read(jar);
    Map<String, byte[]> classes = new LinkedHashMap<>();
    entries.forEach((name, bytes) -> {
      if (name.endsWith(".class") && !name.startsWith("META-INF/")) {
        classes.put(name.substring(0, name.length() - ".class".length()), bytes);
      }
    });

    Set<String> used = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>();
    for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
      String name = entry.getKey();
      if (name.startsWith("thebacknd/") && name.endsWith(".class")) {
        todo.addAll(references(entry.getValue()));
      } else if (name.startsWith("META-INF/services/") || name.endsWith(".interceptors")) {
        for (String line : new String(entry.getValue(), StandardCharsets.UTF_8).split("\n")) {
          String className = line.replaceAll("#.*", "").trim();
          if (!className.isEmpty()) {
            todo.add(className.replace('.', '/'));
          }
        }
      }
    }
    classes.keySet().stream().filter(c -> EXCEPTION.matcher(c).matches()).forEach(todo::add);
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!trimmed(name) || !classes.containsKey(name) || !used.add(name)) {
        continue;
      }
      todo.addAll(references(classes.get(name)));
      versions(entries, name).forEach(variant -> todo.addAll(references(variant)));
      Matcher operation = OPERATION.matcher(name);
      if (operation.matches()) {
        String service = operation.group(1);
        String op = operation.group(2);
        todo.add(service + "model/" + op + "Request");
        todo.add(service + "model/" + op + "Response");
        todo.add(service + "transform/" + op + "RequestMarshaller");
      }
    }

    Set<String> loadable = new TreeSet<>();
    for (Map.Entry<String, byte[]> entry : classes.entrySet()) {
      if (trimmed(entry.getKey())) {
        continue;
      }
      boolean client = CLIENT.matcher(entry.getKey()).matches();
      for (String name : references(entry.getValue())) {
        if (!client || CLIENT_REQUEST.matcher(name).matches()) {
          todo.add(name);
        }
      }
    }
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!trimmed(name) || !classes.containsKey(name) || used.contains(name) || !loadable.add(name)) {
        continue;
      }
      todo.addAll(supertypes(classes.get(name)));
    }

    long before = Files.size(jar);
    int dropped = 0;
    Path trimmedJar = jar.resolveSibling(jar.getFileName() + ".trimmed");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(trimmedJar))) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        String name = entry.getKey();
        Matcher versioned = VERSIONED.matcher(name);
        String className = versioned.matches() ? versioned.group(1)
            : name.endsWith(".class") ? name.substring(0, name.length() - ".class".length()) : null;
        if (className != null && trimmed(className) && !used.contains(className) && !loadable.contains(className)) {
          dropped++;
          continue;
        }
        if (name.startsWith("META-INF/versions/") && name.endsWith("/") && trimmedDirectory(name)) {
          continue;
        }
        out.putNextEntry(new ZipEntry(name));
        out.write(entry.getValue());
        out.closeEntry();
      }
    }
    Files.move(trimmedJar, jar, StandardCopyOption.REPLACE_EXISTING);
    List<String> lines = new ArrayList<>();
    used.forEach(c -> lines.add("used " + c));
    loadable.forEach(c -> lines.add("loadable " + c));
    Files.write(report, lines);
    System.out.printf("TrimJar: %s: %d used and %d loadable classes kept of the trimmed areas, %d entries dropped; %.1f MB -> %.1f MB%n",
        jar.getFileName(), used.size(), loadable.size(), dropped, before / 1e6, Files.size(jar) / 1e6);
  }

  private static boolean trimmed(String className) {
    return TRIMMED.matcher(className).matches();
  }

  /** A directory entry of a versioned part of BouncyCastle, emptied above. */
  private static boolean trimmedDirectory(String name) {
    return name.matches("META-INF/versions/\\d+/org/bouncycastle/.*");
  }

  /** The Java-version-specific variants of a class in a multi-release jar. */
  private static List<byte[]> versions(Map<String, byte[]> entries, String className) {
    List<byte[]> variants = new ArrayList<>();
    for (int version = 9; version <= 30; version++) {
      byte[] variant = entries.get("META-INF/versions/" + version + "/" + className + ".class");
      if (variant != null) {
        variants.add(variant);
      }
    }
    return variants;
  }

  private static Map<String, byte[]> read(Path jar) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (InputStream file = Files.newInputStream(jar); ZipInputStream zip = new ZipInputStream(file)) {
      for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        zip.transferTo(bytes);
        entries.put(entry.getName(), bytes.toByteArray());
      }
    }
    return entries;
  }

  // ------------------------------------------------------------------ class files (JVMS §4)

  /** A class file's constant pool: the class names it holds and its UTF-8 strings. */
  private record ConstantPool(Map<Integer, Integer> classes, Map<Integer, String> utf8, int end) {

    static ConstantPool of(byte[] b) {
      int count = u2(b, 8);
      int at = 10;
      Map<Integer, Integer> classes = new LinkedHashMap<>();
      Map<Integer, String> utf8 = new LinkedHashMap<>();
      for (int index = 1; index < count; index++) {
        int tag = b[at] & 0xff;
        switch (tag) {
          case 1 -> {
            int length = u2(b, at + 1);
            utf8.put(index, new String(b, at + 3, length, StandardCharsets.UTF_8));
            at += 3 + length;
          }
          case 7 -> {
            classes.put(index, u2(b, at + 1));
            at += 3;
          }
          case 3, 4, 9, 10, 11, 12, 17, 18 -> at += 5;
          case 5, 6 -> {
            at += 9;
            index++;
          }
          case 8, 16, 19, 20 -> at += 3;
          case 15 -> at += 4;
          default -> throw new IllegalArgumentException("unknown constant pool tag " + tag);
        }
      }
      return new ConstantPool(classes, utf8, at);
    }

    /** The name of the class constant at {@code index}. */
    String className(int index) {
      return utf8.get(classes.get(index));
    }
  }

  /** Every class a class file names: its class constants and the classes in its descriptors and signatures. */
  private static Set<String> references(byte[] classFile) {
    ConstantPool pool = ConstantPool.of(classFile);
    Set<String> names = new TreeSet<>();
    for (int nameIndex : pool.classes().values()) {
      String name = pool.utf8().get(nameIndex);
      names.add(name.startsWith("[") ? name.replaceAll("^\\[+L?|;$", "") : name);
    }
    for (String text : pool.utf8().values()) {
      Matcher m = DESCRIPTOR_CLASS.matcher(text);
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** The superclass and interfaces: what loading the class needs. */
  private static List<String> supertypes(byte[] classFile) {
    ConstantPool pool = ConstantPool.of(classFile);
    int at = pool.end() + 4; // access flags, this class
    List<String> supertypes = new ArrayList<>();
    int superclass = u2(classFile, at);
    if (superclass != 0) {
      supertypes.add(pool.className(superclass));
    }
    int interfaces = u2(classFile, at + 2);
    for (int i = 0; i < interfaces; i++) {
      supertypes.add(pool.className(u2(classFile, at + 4 + 2 * i)));
    }
    return supertypes;
  }

  private static int u2(byte[] b, int at) {
    return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
  }
}
