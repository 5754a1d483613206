package tern.common.qemu.stream;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Keeps every event a sink is given, adjacent opaque segments merged (how the producer cuts them
 * is its own business), so two event sequences can be compared.
 */
public final class RecordingSink implements StreamSink {
    /** One event; {@code bytes} is the opaque run or the page's bytes, empty otherwise. */
    public record Event(String kind, int page, byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Event e && e.kind.equals(kind) && e.page == page && Arrays.equals(e.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return kind.hashCode() * 31 + page;
        }

        @Override
        public String toString() {
            return kind + (page >= 0 ? " " + page : "") + (bytes.length > 0 ? " (" + bytes.length + " bytes)" : "");
        }
    }

    private final List<Event> events = new ArrayList<>();
    private final ByteArrayOutputStream opaque = new ByteArrayOutputStream();
    private final ByteArrayOutputStream run = new ByteArrayOutputStream();
    private RamLayout layout;

    @Override
    public void opaque(ByteBuffer bytes) {
        byte[] b = new byte[bytes.remaining()];
        bytes.get(bytes.position(), b);
        run.writeBytes(b);
        opaque.writeBytes(b);
    }

    @Override
    public void layout(RamLayout layout) {
        this.layout = layout;
        add(new Event("layout " + layout, -1, new byte[0]));
    }

    @Override
    public void page(int page, ByteBuffer bytes) {
        byte[] b = new byte[bytes.remaining()];
        bytes.get(bytes.position(), b);
        add(new Event("page", page, b));
    }

    @Override
    public void zero(int page) {
        add(new Event("zero", page, new byte[0]));
    }

    @Override
    public void milestone(StreamMilestone milestone) {
        add(new Event(milestone.name(), -1, new byte[0]));
    }

    @Override
    public void end() {
        add(new Event("end", -1, new byte[0]));
    }

    private void add(Event e) {
        if (run.size() > 0) {
            events.add(new Event("opaque", -1, run.toByteArray()));
            run.reset();
        }
        events.add(e);
    }

    public List<Event> events() {
        return events;
    }

    /** The kinds and pages only, for short assertions. */
    public List<String> outline() {
        List<String> l = new ArrayList<>();
        for (Event e : events) {
            l.add(e.kind() + (e.page() >= 0 ? " " + e.page() : ""));
        }
        return l;
    }

    /** Every opaque byte, concatenated. */
    public byte[] opaque() {
        return opaque.toByteArray();
    }

    public RamLayout layout() {
        return layout;
    }
}
