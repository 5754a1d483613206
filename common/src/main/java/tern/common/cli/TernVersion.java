package tern.common.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import tern.common.wire.Protocol;

/**
 * Every tool's --version: its name, the build's version (the Maven project's, filtered into
 * version.properties at build time) and the wire protocol it speaks, so two tools can be checked
 * against each other before a migration.
 */
public final class TernVersion implements IVersionProvider {
    @Spec
    CommandSpec spec;

    /** The build's version, as Maven named it ("0.1.0-SNAPSHOT"). */
    public static String build() {
        Properties p = new Properties();
        try (InputStream in = TernVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion() {
        return new String[] {spec.name() + " " + build() + " (protocol " + Protocol.PROTOCOL_VERSION + ", Java "
                + Runtime.version().feature() + ")"};
    }
}
