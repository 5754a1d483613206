package tern.sender.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import tern.common.page.PageGeometry;
import tern.sender.workload.StoreRecorder;

/** Writes the stores of a synthetic run as a trace ({@link Trace} describes the format); gzip when the name ends in .gz. */
public final class TraceRecorder implements StoreRecorder, AutoCloseable {
    private final BufferedWriter out;
    private final StringBuilder line = new StringBuilder(32);
    private long stores;

    public TraceRecorder(Path file, PageGeometry g, String comment) throws IOException {
        OutputStream raw = Files.newOutputStream(file);
        this.out = new BufferedWriter(new OutputStreamWriter(
                file.toString().endsWith(".gz") ? new GZIPOutputStream(raw, 1 << 16) : raw, StandardCharsets.US_ASCII),
                1 << 16);
        out.write(Trace.MAGIC + " " + Trace.VERSION + " page-size " + g.pageSize() + " pages " + g.pages() + "\n");
        out.write("# " + comment.replace('\n', ' ') + "\n# MICROS PAGE CHANGES\n");
    }

    @Override
    public void stored(long nanosSinceStart, int page, boolean silent) {
        line.setLength(0);
        line.append(nanosSinceStart / 1000).append(' ').append(page).append(' ').append(silent ? '0' : '1').append('\n');
        try {
            out.append(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        stores++;
    }

    public long stores() {
        return stores;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
