package tern.lab.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;
import tern.sender.cli.SenderMain;

/** The AsciiDoc picocli's ManPageGenerator writes, as roff: headings, options, the synopsis and the footer. */
class ManRoffTest {
    @Test
    void rendersWhatTheGeneratorWrites() {
        StringWriter adoc = new StringWriter();
        try (PrintWriter w = new PrintWriter(adoc)) {
            ManPageGenerator.writeSingleManPage(w, new CommandLine(new SenderMain()).getCommandSpec());
        }
        String roff = ManRoff.render(adoc.toString());
        assertTrue(roff.startsWith(".TH \"TERN-SENDER\" 1 "), roff);
        for (String s : new String[] {".SH \"NAME\"\ntern\\-sender \\- Migrates", ".SH \"SYNOPSIS\"", ".SH \"OPTIONS\"",
                ".TP\n\\fB\\-\\-mode\\fR=\\fIMODE\\fR\nsync\\-clear, reconcile, digest (default: digest).",
                ".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR", ".SH \"SIZES\"\n.PP\nSIZE is bytes"}) {
            assertTrue(roff.contains(s), s + " in\n" + roff);
        }
        assertTrue(roff.contains("\\fIfile:PATH|qemu:RAMFILE,qmp=SOCKET[,handoff=URI]|qemu\\-stream:qmp=SOCKET[,listen=URI]\\fR"),
                "an italic run the generator wrapped is one again:\n" + roff);
        assertTrue(!roff.contains("//") && !roff.contains("::") && !roff.contains(":doctype:"), roff);
    }

    @Test
    void escapesWhatRoffWouldRead() {
        assertEquals(".TP\n\\fB\\-\\-x\\fR\n\\&.starts with a dot, a back\\eslash\n",
                ManRoff.render("== Options\n\n*--x*::\n  .starts with a dot, a back\\slash\n").replaceFirst("^\\.SH \"OPTIONS\"\n", ""));
    }

    @Test
    void refusesAsciiDocItDoesNotKnow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ManRoff.render("== Options\n\n|===\n| a | b\n|===\n"));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }
}
