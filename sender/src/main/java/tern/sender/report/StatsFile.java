package tern.sender.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tern.common.stats.IterationStats;
import tern.sender.engine.MigrationResult;

/** --stats PATH: JSON lines, one object per iteration, then one with "type":"summary". */
public final class StatsFile {
    private StatsFile() {
    }

    public static void write(Path path, MigrationResult r) throws IOException {
        List<String> lines = new ArrayList<>();
        for (IterationStats s : r.iterations()) {
            lines.add(s.toJson().toString());
        }
        lines.add(r.summary().toJson().toString());
        Files.write(path, lines, StandardCharsets.UTF_8);
    }
}
