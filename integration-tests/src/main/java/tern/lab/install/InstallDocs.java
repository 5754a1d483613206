package tern.lab.install;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;
import tern.common.tls.CertsMain;
import tern.receiver.cli.ReceiverMain;
import tern.sender.cli.SenderMain;

/**
 * The archive's bash completion scripts and man pages, made at build time from the tools' own
 * picocli annotations (integration-tests/pom.xml runs it at prepare-package): picocli's
 * {@link AutoComplete} writes {@code completion/TOOL.bash}, its {@link ManPageGenerator} the
 * AsciiDoc of {@code man/man1/TOOL.1}, which {@link ManRoff} renders as roff.
 */
public final class InstallDocs {
    /** The tools the archive ships, by the name they are run as. */
    record Tool(String name, Supplier<Object> command) {
    }

    static final List<Tool> TOOLS = List.of(new Tool("tern-sender", SenderMain::new),
            new Tool("tern-receiver", ReceiverMain::new), new Tool("tern-certs", CertsMain::new));

    private InstallDocs() {
    }

    /** {@code args[0]}: the directory that receives completion/ and man/man1/. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Path completion = Files.createDirectories(out.resolve("completion"));
        Path man = Files.createDirectories(out.resolve("man/man1"));
        for (Tool t : TOOLS) {
            Files.writeString(completion.resolve(t.name() + ".bash"),
                    AutoComplete.bash(t.name(), new CommandLine(t.command().get())), StandardCharsets.UTF_8);
            StringWriter adoc = new StringWriter();
            try (PrintWriter w = new PrintWriter(adoc)) {
                ManPageGenerator.writeSingleManPage(w, new CommandLine(t.command().get()).getCommandSpec());
            }
            Files.writeString(man.resolve(t.name() + ".1"), ManRoff.render(adoc.toString()), StandardCharsets.UTF_8);
        }
    }
}
