package tern.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The processes one test starts; closing the group ends every one still running. */
final class ProcessGroup implements AutoCloseable {
    private final Path dir;
    private final List<ItProcess> started = new ArrayList<>();

    ProcessGroup(Path dir) {
        this.dir = dir;
    }

    ItProcess start(String name, List<String> command) throws IOException {
        ItProcess p = ItProcess.start(name, dir, command);
        started.add(p);
        return p;
    }

    /** Runs one of the repository's tools ({@code bin/TOOL ARGS}) to its end. */
    ItProcess run(String name, String tool, String... args) throws IOException, InterruptedException {
        ItProcess p = start(name, ItProcess.launcher(tool, args));
        p.awaitExit();
        return p;
    }

    /** Every process's output so far, for an assertion's message. */
    String outputs() {
        StringBuilder b = new StringBuilder("\n");
        for (ItProcess p : started) {
            b.append(p.outputs());
        }
        return b.toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (ItProcess p : started) {
            p.close();
        }
    }
}
