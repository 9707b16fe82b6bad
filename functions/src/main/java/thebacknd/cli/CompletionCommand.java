package thebacknd.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "completion", description = "Print a shell completion script: source <(thebacknd completion bash)")
final class CompletionCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "SHELL", description = "Only bash is supported.")
  String shell;

  @Override
  public Integer call() {
    if (!"bash".equals(shell)) {
      spec.commandLine().getErr().println("thebacknd: only 'completion bash' is supported, not " + shell);
      return Main.USAGE;
    }
    spec.commandLine().getOut().print(AutoComplete.bash("thebacknd", spec.root().commandLine()));
    spec.commandLine().getOut().flush();
    return Main.OK;
  }
}
