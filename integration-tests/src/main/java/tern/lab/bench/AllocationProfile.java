package tern.lab.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Bytes allocated on a migration's page path, per page moved, from a JFR recording's
 * {@code jdk.ObjectAllocationSample} events (each weighs the bytes its thread allocated since the
 * last sample, so the weights add up to the allocation rate). The page path is every stack that
 * runs through the engine's loop, the receiver's stream handler or a netty event loop; start-up
 * (class loading, JFR itself) and the one-time structures made at the hello (digest tables, which
 * "memory per GiB" accounts for) are left out.
 *
 * @param bytes allocated on the page path, in all
 * @param sites the heaviest allocation sites, heaviest first
 */
record AllocationProfile(long bytes, List<Site> sites) {
    private static final List<String> PAGE_PATH = List.of(
            "tern.sender.engine.PrecopyLoop.run", "tern.receiver.server.MigrationService$Stream.onNext",
            "EventLoop.run");
    private static final List<String> EXCLUDED = List.of(
            "MigrationSession.onHello", "PrecopyLoop.<init>", "ResumingLink.open", "ClassLoader", "jdk.jfr.");

    /** Where bytes were allocated: the innermost frames, innermost first. */
    record Site(String frames, long bytes) {
    }

    static AllocationProfile read(Path recording, int topSites, int depth) throws IOException {
        Map<String, Long> bySite = new HashMap<>();
        long total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample")) {
                continue;
            }
            RecordedStackTrace st = e.getStackTrace();
            if (st == null) {
                continue;
            }
            List<String> frames = new ArrayList<>(st.getFrames().size());
            for (RecordedFrame f : st.getFrames()) {
                frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
            }
            String all = String.join(" ", frames);
            if (PAGE_PATH.stream().noneMatch(all::contains) || EXCLUDED.stream().anyMatch(all::contains)) {
                continue;
            }
            long w = e.getLong("weight");
            total += w;
            String site = String.join(" < ", frames.subList(0, Math.min(depth, frames.size())).stream()
                    .map(AllocationProfile::shortName).toList());
            bySite.merge(site, w, Long::sum);
        }
        List<Site> sites = bySite.entrySet().stream()
                .map(en -> new Site(en.getKey(), en.getValue()))
                .sorted(Comparator.comparingLong(Site::bytes).reversed())
                .limit(topSites)
                .toList();
        return new AllocationProfile(total, sites);
    }

    /** {@code io.grpc.netty.shaded.io.netty.buffer.PooledByteBuf.slice} → {@code PooledByteBuf.slice}. */
    static String shortName(String qualified) {
        int method = qualified.lastIndexOf('.');
        int type = qualified.lastIndexOf('.', method - 1);
        return qualified.substring(type + 1);
    }
}
