package tern.sender.stream;

import static tern.common.qemu.stream.QemuStreamFormat.PAGE_BITS;
import static tern.common.qemu.stream.QemuStreamFormat.SUBSECTION;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tern.common.qemu.stream.StreamRefusedException;

/**
 * QEMU_VM_CONFIGURATION, which has neither a length nor a footer, so it must be parsed to find
 * its end (7.2 savevm.c vmstate_configuration): be32 len and the machine type's name, then the
 * subsections QEMU sends when needed, each {@code 0x05, u8 n, name, be32 version, payload}. The
 * grammar is closed: three subsections, all at version 1. A capability listed in
 * "configuration/capabilities" (x-ignore-shared; 10.x also mapped-ram) changes the RAM records,
 * so it is refused. All of it is opaque to the sink.
 */
final class ConfigurationSection {
    private static final int MAX_NAME = 256;
    /** QEMU 10.x validates two capabilities; more than this is not a stream QEMU wrote. */
    private static final int MAX_CAPABILITIES = 64;
    private final StreamInput in;

    ConfigurationSection(StreamInput in) {
        this.in = in;
    }

    /** Parses the section at the input's position (its 0x07 byte); returns the machine type. */
    String parse() throws IOException {
        long at = in.offset();
        need(5, at, "the configuration section");
        long len = in.be32(1);
        if (len == 0 || len > MAX_NAME) {
            throw new StreamRefusedException(at, "configuration section names a machine type of " + len
                    + " bytes (at most " + MAX_NAME + ")");
        }
        need(5 + (int) len, at, "the configuration section");
        String machine = new String(in.array(), in.index(5), (int) len, StandardCharsets.ISO_8859_1);
        in.consume(5 + (int) len);
        while (in.peek() == SUBSECTION) {
            subsection();
        }
        return machine;
    }

    private void subsection() throws IOException {
        long at = in.offset();
        need(2, at, "a configuration subsection");
        int n = in.u8(1);
        need(2 + n + 4, at, "a configuration subsection");
        String name = new String(in.array(), in.index(2), n, StandardCharsets.ISO_8859_1);
        long version = in.be32(2 + n);
        if (version != 1) {
            throw new StreamRefusedException(at, "configuration subsection '" + name + "' at version " + version
                    + ", expected 1");
        }
        in.consume(2 + n + 4);
        switch (name) {
            case "configuration/target-page-bits" -> {
                need(4, in.offset(), "configuration/target-page-bits");
                long bits = in.be32(0);
                if (bits != PAGE_BITS) {
                    throw new StreamRefusedException(in.offset(), "target page bits " + bits + " in the configuration"
                            + " section; Tern carries " + PAGE_BITS + " (4 KiB pages)");
                }
                in.consume(4);
            }
            case "configuration/capabilities" -> capabilities();
            case "configuration/uuid" -> {
                need(16, in.offset(), "configuration/uuid");
                in.consume(16);
            }
            default -> throw new StreamRefusedException(at, "unknown configuration subsection '" + name + "'");
        }
    }

    private void capabilities() throws IOException {
        long at = in.offset();
        need(4, at, "configuration/capabilities");
        long count = in.be32(0);
        if (count > MAX_CAPABILITIES) {
            throw new StreamRefusedException(at, "configuration/capabilities lists " + count + " capabilities");
        }
        in.consume(4);
        List<String> caps = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            long capAt = in.offset();
            need(1, capAt, "configuration/capabilities");
            int n = in.u8(0);
            need(1 + n, capAt, "configuration/capabilities");
            caps.add(new String(in.array(), in.index(1), n, StandardCharsets.ISO_8859_1));
            in.consume(1 + n);
        }
        if (!caps.isEmpty()) {
            // x-ignore-shared adds a guest address per block to the setup record and leaves shared
            // RAM out of the stream; mapped-ram (10.x) changes the layout entirely
            throw new StreamRefusedException(at, "QEMU's capabilit" + (caps.size() == 1 ? "y " : "ies ")
                    + String.join(", ", caps) + " on, announced in the configuration section; Tern carries none"
                    + " (turn " + (caps.size() == 1 ? "it" : "them") + " off)");
        }
    }

    private void need(int n, long at, String where) throws IOException {
        if (!in.fill(n)) {
            throw new StreamRefusedException(at, "the stream ended inside " + where
                    + " (QEMU cancelled or failed its migration, or closed the socket)");
        }
    }
}
