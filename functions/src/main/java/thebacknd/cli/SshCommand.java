package thebacknd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import thebacknd.config.ConfigException;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Endpoint;

@Command(
    name = "ssh",
    description = {
      "Open a shell on a live VM, or run COMMAND there: ssh to its public IP as root with your key",
      "(--identity, or THEBACKND_SSH_IDENTITY: the private key of the key pair THEBACKND_KEY_NAME",
      "names). A new VM's host key is accepted the first time and checked on every later connection",
      "(kept under the instance id in ~/.cache/thebacknd/known_hosts). Exits with ssh's exit code."
    })
final class SshCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Mixin ApiOptions api;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "A live VM's name, as list shows it.")
  String name;

  @Parameters(index = "1..*", paramLabel = "COMMAND", description = "What to run instead of a shell (after --); ssh hands it to root's shell.")
  List<String> command = new ArrayList<>();

  @Option(names = {"-i", "--identity"}, paramLabel = "FILE", description = "Private key to log in with (default: $THEBACKND_SSH_IDENTITY).")
  Path identity;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path key = identity();
    ApiResponse listed = api.client(main.env()).call(Endpoint.LIST, null);
    if (listed.status() >= 400) {
      return Answer.error(spec, listed);
    }
    JsonNode vm = find(listed.body().path("vms"))
        .orElseThrow(() -> new CliException(Main.FAILED, "No live VM is named " + name + "."));
    String ip = publicIp(vm).orElseThrow(() -> new CliException(
        Main.FAILED,
        name + " has no public IP address (its subnet gives none): reach it from inside the VPC, or launch it in a public subnet."));
    List<String> argv = new ArrayList<>();
    argv.add(program("ssh"));
    argv.addAll(List.of("-i", key.toString(), "-o", "IdentitiesOnly=yes"));
    // A fresh VM's host key cannot be known in advance: trust it on first use, under the instance
    // id (an IP address is reused by other VMs), and refuse a different key for the same instance.
    argv.addAll(List.of(
        "-o", "StrictHostKeyChecking=accept-new",
        "-o", "UserKnownHostsFile=" + knownHosts(),
        "-o", "HostKeyAlias=thebacknd-" + vm.path("instance_id").asText()));
    argv.add("root@" + ip);
    argv.addAll(command);
    Process ssh = new ProcessBuilder(argv).inheritIO().start();
    return ssh.waitFor();
  }

  private Path identity() {
    Path key = identity != null
        ? identity
        : Optional.ofNullable(main.env().get("THEBACKND_SSH_IDENTITY")).filter(s -> !s.isBlank()).map(Path::of).orElse(null);
    if (key == null) {
      throw new ConfigException(
          "no SSH key configured: set THEBACKND_SSH_IDENTITY to the private key of the EC2 key pair THEBACKND_KEY_NAME names, or pass --identity FILE");
    }
    if (!Files.isReadable(key)) {
      throw new ConfigException("the SSH key " + key + " is not a readable file");
    }
    return key;
  }

  private Optional<JsonNode> find(JsonNode vms) {
    for (JsonNode vm : vms) {
      if (name.equals(vm.path("name").asText())) {
        return Optional.of(vm);
      }
    }
    return Optional.empty();
  }

  /** Its public IPv4 address, else an IPv6 one. */
  private static Optional<String> publicIp(JsonNode vm) {
    List<String> ips = new ArrayList<>();
    vm.path("public_ips").forEach(ip -> ips.add(ip.asText()));
    return ips.stream().filter(ip -> !ip.contains(":")).findFirst().or(() -> ips.stream().findFirst());
  }

  /** {@code program} as found on the PATH this command was given; a configuration error when absent. */
  private String program(String program) {
    for (String dir : main.env().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new ConfigException(program + " is not installed (not on PATH)");
  }

  private Path knownHosts() throws IOException {
    String cache = main.env().get("XDG_CACHE_HOME");
    Path dir = (cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(main.env().getOrDefault("HOME", "."), ".cache")).resolve("thebacknd");
    Files.createDirectories(dir);
    return dir.resolve("known_hosts");
  }
}
