package tern.common.page;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A file mapped read-only as pages: a sender's {@code file:} source. */
public final class MappedPages implements AutoCloseable {
    private final Path path;
    private final PageGeometry geometry;
    private final PageSegments segments;
    private final FileChannel channel;

    private MappedPages(Path path, PageGeometry geometry, FileChannel channel, boolean writable) throws IOException {
        this.path = path;
        this.geometry = geometry;
        this.channel = channel;
        long bytes = geometry.bytes();
        ByteBuffer[] maps = new ByteBuffer[PageSegments.segmentCount(bytes)];
        FileChannel.MapMode mode = writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY;
        for (int i = 0; i < maps.length; i++) {
            long offset = (long) i << PageSegments.SEGMENT_SHIFT;
            maps[i] = channel.map(mode, offset, Math.min(1L << PageSegments.SEGMENT_SHIFT, bytes - offset));
        }
        this.segments = new PageSegments(geometry, maps);
    }

    /** Maps an existing file read-only; its size must be a whole number of pages. */
    public static MappedPages openReadOnly(Path path, int pageSize) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": not a regular file");
        }
        long size = Files.size(path);
        if (size == 0 || size % pageSize != 0) {
            throw new IOException(path + ": size " + size + " is not a positive multiple of the page size " + pageSize);
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        return new MappedPages(path, new PageGeometry(pageSize, size / pageSize), ch, false);
    }

    public Path path() {
        return path;
    }

    public PageGeometry geometry() {
        return geometry;
    }

    /** A cursor over the pages. Each thread makes its own; returning a page costs no allocation. */
    public PageSegments.View view() {
        return segments.view();
    }

    @Override
    public void close() throws IOException {
        // Java 17 has no public unmap: the segments go when they are collected.
        channel.close();
    }
}
