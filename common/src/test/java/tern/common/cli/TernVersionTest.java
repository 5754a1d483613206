package tern.common.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class TernVersionTest {
    @Command(name = "tern-probe", mixinStandardHelpOptions = true, versionProvider = TernVersion.class)
    static final class Probe implements Runnable {
        @Override
        public void run() {
        }
    }

    @Test
    void versionNamesTheToolTheBuildAndTheProtocol() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Probe());
        cli.setOut(new PrintWriter(out));
        cli.execute("--version");
        String v = out.toString().trim();
        // the Maven version, filtered in at build time: never the placeholder, never "unknown"
        assertTrue(v.matches("tern-probe \\d+\\.\\d+\\.\\d+\\S* \\(protocol \\d+, Java \\d+\\)"), v);
    }
}
