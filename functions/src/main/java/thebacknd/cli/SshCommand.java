package thebacknd.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import thebacknd.cli.Spec.Argument;
import thebacknd.cli.Spec.Option;
import thebacknd.config.ConfigException;

final class SshCommand implements Command {

  /** The exit code ssh gives for its own errors (connection, authentication). */
  private static final int SSH_FAILED = 255;
  /** An unreachable VM (port 22 closed to you, no route) fails within this, instead of hanging. */
  private static final int CONNECT_TIMEOUT_SECONDS = 15;

  static final Spec SPEC = Spec.of("ssh", "Open a shell on a live VM, or run COMMAND there.")
      .description(
          "Open a shell on a live VM, or run COMMAND there: ssh to its public IP as root with your "
              + "key (--identity, or THEBACKND_SSH_IDENTITY: the private key of the key pair "
              + "THEBACKND_KEY_NAME names). Exits with ssh's exit code.",
          "A new VM's host key is accepted the first time and checked on every later connection "
              + "(kept under the instance id in ~/.cache/thebacknd/known_hosts).")
      .arguments(
          Argument.required("NAME", "A live VM's name, as list shows it."),
          Argument.any("COMMAND", "What to run instead of a shell (after --); ssh hands it to root's shell."))
      .options(Option.value("-i, --identity", "FILE", "Private key to log in with (default: $THEBACKND_SSH_IDENTITY)."))
      .options(ApiOptions.OPTIONS);

  @Override
  public Spec spec() {
    return SPEC;
  }

  @Override
  public int run(Invocation in) throws IOException, InterruptedException {
    String name = in.positional(0);
    List<String> command = in.positionals().subList(1, in.positionals().size());
    Path key = identity(in);
    JsonValue vm = VmWatch.byName(ApiOptions.of(in).client(in.env()), name)
        .orElseThrow(() -> new CliException(Main.FAILED, "No live VM is named " + name + "."));
    String ip = publicIp(vm).orElseThrow(() -> new CliException(
        Main.FAILED,
        name + " has no public IP address (its subnet gives none): reach it from inside the VPC, or launch it in a public subnet."));
    List<String> argv = new ArrayList<>();
    argv.add(program(in, "ssh"));
    argv.addAll(List.of("-i", key.toString(), "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=" + CONNECT_TIMEOUT_SECONDS));
    // A fresh VM's host key cannot be known in advance: trust it on first use, under the instance
    // id (an IP address is reused by other VMs), and refuse a different key for the same instance.
    argv.addAll(List.of(
        "-o", "StrictHostKeyChecking=accept-new",
        "-o", "UserKnownHostsFile=" + knownHosts(in),
        "-o", "HostKeyAlias=thebacknd-" + vm.path("instance_id").asText()));
    argv.add("root@" + ip);
    argv.addAll(command);
    Process ssh = new ProcessBuilder(argv).inheritIO().start();
    int exit = ssh.waitFor();
    if (exit == SSH_FAILED) {
      // ssh's own failure, not the remote command's: the usual causes are ours to name.
      in.err().println("thebacknd: ssh to " + name + " (" + ip + ") failed: is port 22 open to you, and was the VM"
          + " launched with the key pair of " + key + " (THEBACKND_KEY_NAME where the functions run; without it no key reaches root)?");
      in.err().flush();
    }
    return exit;
  }


  private static Path identity(Invocation in) {
    String option = in.value("--identity");
    Path key = option != null
        ? Path.of(option)
        : Optional.ofNullable(in.env().get("THEBACKND_SSH_IDENTITY")).filter(s -> !s.isBlank()).map(Path::of).orElse(null);
    if (key == null) {
      throw new ConfigException(
          "no SSH key configured: set THEBACKND_SSH_IDENTITY to the private key of the EC2 key pair THEBACKND_KEY_NAME names, or pass --identity FILE");
    }
    if (!Files.isReadable(key)) {
      throw new ConfigException("the SSH key " + key + " is not a readable file");
    }
    return key;
  }

  /** Its public IPv4 address, else an IPv6 one. */
  private static Optional<String> publicIp(JsonValue vm) {
    List<String> ips = new ArrayList<>();
    vm.path("public_ips").forEach(ip -> ips.add(ip.asText()));
    return ips.stream().filter(ip -> !ip.contains(":")).findFirst().or(() -> ips.stream().findFirst());
  }

  /** {@code program} as found on the PATH this command was given; a configuration error when absent. */
  private static String program(Invocation in, String program) {
    for (String dir : in.env().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new ConfigException(program + " is not installed (not on PATH)");
  }

  private static Path knownHosts(Invocation in) throws IOException {
    String cache = in.env().get("XDG_CACHE_HOME");
    Path dir = (cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(in.env().getOrDefault("HOME", "."), ".cache")).resolve("thebacknd");
    Files.createDirectories(dir);
    return dir.resolve("known_hosts");
  }
}
