package tern.common.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import tern.common.log.Log;

/** How every tool runs picocli: one clear, timed line on error ({@link Log}), the stack trace only with --verbose. */
public final class Cli {
    private Cli() {
    }

    /** Runs {@code command} and returns the exit code: 0 success, 1 failed migration, 2 bad usage. */
    public static int run(Object command, String... args) {
        CommandLine cl = new CommandLine(command);
        Log.install(cl.getCommandName());
        cl.setParameterExceptionHandler((e, args2) -> {
            Log.line(e.getCommandLine().getErr(), e.getMessage() + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            boolean verbose = parsed.hasMatchedOption("--verbose");
            PrintWriter err = line.getErr();
            if (verbose) {
                e.printStackTrace(err);
            }
            Log.line(err, e.getMessage() != null ? e.getMessage() : e.toString());
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl.execute(args);
    }
}
