package tern.common.cli;

import picocli.CommandLine.Option;

/** {@code --verbose}, the same in every tool: {@link Cli#run} prints an error's stack trace only with it. */
public final class VerboseOption {
    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;
}
