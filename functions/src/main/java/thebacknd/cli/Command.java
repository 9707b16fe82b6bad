package thebacknd.cli;

/**
 * One {@code thebacknd} command: what it accepts ({@link Spec}) and what it does with a parsed
 * command line. {@link Main} lists them; a command whose spec has subcommands is only a group
 * ({@code cache}) and is never run itself.
 */
interface Command {

  Spec spec();

  /** Runs the command; the exit code ({@link Main#OK}, {@link Main#FAILED}, …). */
  default int run(Invocation in) throws Exception {
    throw in.usage("a " + spec().name() + " command is required");
  }
}
