package thebacknd.cli;

import picocli.CommandLine.Command;

/** {@code thebacknd cache …}: PLACEHOLDER, the signed-cache issue adds {@code verify PATH}. */
@Command(name = "cache", description = "Binary cache tools.")
final class CacheCommand {}
