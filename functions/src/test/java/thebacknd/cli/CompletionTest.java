package thebacknd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import thebacknd.testing.Command;

/**
 * {@code thebacknd completion bash|zsh|fish}, each script loaded in its own shell (bash, an
 * interactive zsh driven through a pseudo-terminal, fish) and asked to complete command lines.
 */
class CompletionTest {

  @TempDir Path dir;

  @Test
  void bashCompletesCommandsOptionsSubcommandsShellsAndFiles() throws IOException {
    Path script = script("bash");
    Files.writeString(dir.resolve("a-file.nix"), "{}\n");
    String driver = "source " + script + "\n"
        + "complete_line() { read -ra COMP_WORDS <<<\"$1\"; [[ \"$1\" == *' ' ]] && COMP_WORDS+=('');"
        + " COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _thebacknd; echo \"$1=>${COMPREPLY[*]}\"; }\n"
        + "complete -p thebacknd\n"
        + "complete_line 'thebacknd li'\n"
        + "complete_line 'thebacknd destroy-'\n"
        + "complete_line 'thebacknd run --ty'\n"
        + "complete_line 'thebacknd run a-f'\n"
        + "complete_line 'thebacknd cache '\n"
        + "complete_line 'thebacknd cache verify --tr'\n"
        + "complete_line 'thebacknd completion '\n"
        + "complete_line 'thebacknd logs --vm-id '\n"
        + "complete_line 'thebacknd list '\n"
        + "complete_line 'thebacknd ex'\n"
        + "complete_line 'thebacknd extend --t'\n"
        + "complete_line 'thebacknd extend --ttl '\n"
        + "complete_line 'thebacknd run --sp'\n"
        + "complete_line 'thebacknd list --mi'\n"
        + "complete_line 'thebacknd sh'\n"
        + "complete_line 'thebacknd pool '\n"
        + "complete_line 'thebacknd pool fill --d'\n"
        + "complete_line 'thebacknd run --on'\n";
    List<String> lines = shell(List.of("bash", "-c", driver)).lines().toList();
    assertTrue(lines.get(0).contains("-F _thebacknd thebacknd"), lines.get(0));
    assertEquals(List.of(
        "thebacknd li=>list",
        "thebacknd destroy-=>destroy-all destroy-old",
        "thebacknd run --ty=>--type",
        "thebacknd run a-f=>a-file.nix",
        "thebacknd cache =>verify",
        "thebacknd cache verify --tr=>--trusted-key",
        "thebacknd completion =>bash zsh fish",
        "thebacknd logs --vm-id =>",
        "thebacknd list =>",
        "thebacknd ex=>extend",
        "thebacknd extend --t=>--ttl",
        "thebacknd extend --ttl =>",
        "thebacknd run --sp=>--spot",
        "thebacknd list --mi=>--mine",
        "thebacknd sh=>shell",
        "thebacknd pool =>fill",
        "thebacknd pool fill --d=>--dry-run",
        "thebacknd run --on=>--on-vm"), lines.subList(1, lines.size()));
  }

  @Test
  void fishCompletesWithDescriptions() throws IOException {
    Path script = script("fish");
    String out = shell(List.of("fish", "--no-config", "-c", "source " + script
        + "; complete -C 'thebacknd li'; complete -C 'thebacknd cache '; complete -C 'thebacknd logs --fo'; complete -C 'thebacknd completion '"
        + "; complete -C 'thebacknd ex'; complete -C 'thebacknd run --sp'; complete -C 'thebacknd list --mi'"));
    assertEquals(List.of(
        "list\tList live VMs, ordered by name.",
        "verify\tCheck a closure is in the cache, signed by a trusted key.",
        "--follow\tKeep printing what arrives until the output ends or the VM is gone.",
        "bash", "fish", "zsh",
        "extend\tGive a live VM more time (a new deadline).",
        "--spot\tSpot capacity first (about a third of the price; AWS may reclaim it); on demand when there is none, unless the service says otherwise.",
        "--mine\tOnly the VMs you created (GET /list?owner=me: the API knows who you are)."), out.lines().toList());
  }

  /**
   * zsh completes only inside its line editor, so an interactive zsh runs in a pseudo-terminal
   * (zpty): each line is typed with a TAB, and what the shell then shows must hold the expected text.
   */
  @Test
  void zshCompletesInItsLineEditor() throws IOException {
    Path script = script("zsh");
    Path driver = Files.writeString(dir.resolve("driver.zsh"), String.join("\n",
        "zmodload zsh/zpty",
        "zpty z zsh -f -i",
        "zpty -w z 'autoload -Uz compinit; compinit -u -D; source " + script + "; print loaded'",
        "zpty -r z out '*loaded*' || exit 3",
        "while (( $# >= 2 )); do",
        "  zpty -w -n z \"$1\"$'\\t'",
        "  zpty -r z out \"*$2*\" || exit 4",
        "  print -r -- \"ok: $1 -> $2\"",
        "  zpty -w z $'\\C-u'",
        "  shift 2",
        "done",
        "zpty -d z",
        ""));
    String out = shell(List.of("zsh", "-f", driver.toString(),
        "thebacknd li", "thebacknd list ",
        "thebacknd run --ty", "thebacknd run --type ",
        "thebacknd cache ", "thebacknd cache verify ",
        "thebacknd completion ", "fish",
        "thebacknd logs --fo", "--follow",
        "thebacknd ex", "thebacknd extend ",
        "thebacknd extend --t", "--ttl",
        "thebacknd run --sp", "--spot",
        "thebacknd list --mi", "--mine"));
    assertEquals(9, out.lines().filter(l -> l.startsWith("ok: ")).count(), out);
  }

  @Test
  void theShippedCompletionFilesAreWhatCompletionPrints() throws IOException {
    Path shipped = thebacknd.testing.Repo.root().resolve("toplevel-scripts/completion");
    for (String[] file : new String[][] {{"bash", "thebacknd.bash"}, {"zsh", "_thebacknd"}, {"fish", "thebacknd.fish"}}) {
      assertEquals(Files.readString(script(file[0])), Files.readString(shipped.resolve(file[1])),
          file[1] + " is stale: regenerate it with thebacknd completion " + file[0] + " > toplevel-scripts/completion/" + file[1]);
    }
  }

  /**
   * VM names come from {@code thebacknd list} (here a stand-in on PATH that prints list's table and
   * counts its calls), cached for a few seconds: two TABs in a row start one list.
   */
  @Test
  void bashCompletesVmNamesFromListCachedBriefly() throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path calls = dir.resolve("calls");
    Path lister = Files.writeString(bin.resolve("thebacknd"), "#!/bin/sh\necho called >> " + calls + "\n"
        + "printf 'NAME         STATE\\nthebacknd-1  running\\nthebacknd-12  pending\\n'\n");
    lister.toFile().setExecutable(true);
    String driver = "source " + script("bash") + "\n"
        + "complete_line() { read -ra COMP_WORDS <<<\"$1\"; [[ \"$1\" == *' ' ]] && COMP_WORDS+=('');"
        + " COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _thebacknd; echo \"$1=>${COMPREPLY[*]}\"; }\n"
        + "complete_line 'thebacknd destroy '\n"
        + "complete_line 'thebacknd ssh thebacknd-1'\n"
        + "complete_line 'thebacknd logs --follow thebacknd-'\n";
    Command.Result result = Command.run(List.of("bash", "-c", driver),
        Map.of("HOME", dir.toString(), "PATH", bin + ":/usr/bin:/bin"), dir, Duration.ofSeconds(60));
    assertEquals(0, result.exitCode(), result.stderr());
    assertEquals(List.of(
        "thebacknd destroy =>thebacknd-1 thebacknd-12",
        "thebacknd ssh thebacknd-1=>thebacknd-1 thebacknd-12",
        "thebacknd logs --follow thebacknd-=>thebacknd-1 thebacknd-12"), result.stdout().lines().toList());
    assertEquals(1, Files.readAllLines(calls).size(), "one list for three completions within seconds");
  }

  private Path script(String shell) throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(0, Main.execute(new String[] {"completion", shell}, Map.of(), new PrintWriter(out), new PrintWriter(err)), err.toString());
    return Files.writeString(dir.resolve("thebacknd." + shell), out.toString());
  }

  private String shell(List<String> command) {
    Command.Result result = Command.run(new ArrayList<>(command), Map.of("HOME", dir.toString(), "TERM", "dumb"), dir, Duration.ofSeconds(60));
    assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
    return result.stdout();
  }
}
