package tern.common.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** How both tools run picocli: one clear line on error, the stack trace only with --verbose. */
public final class Cli {
    private Cli() {
    }

    /** Runs {@code command} and returns the exit code: 0 success, 1 failed migration, 2 bad usage. */
    public static int run(Object command, String... args) {
        CommandLine cl = new CommandLine(command);
        cl.setParameterExceptionHandler((e, args2) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println(e.getCommandLine().getCommandName() + ": " + e.getMessage() + " (see --help)");
            err.flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            boolean verbose = parsed.hasMatchedOption("--verbose");
            PrintWriter err = line.getErr();
            String name = line.getCommandName();
            if (verbose) {
                e.printStackTrace(err);
            }
            err.println(name + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            err.flush();
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl.execute(args);
    }
}
