package tern.sender.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import tern.common.page.MappedPages;
import tern.common.page.PageGeometry;
import tern.common.page.PageSegments;
import tern.common.units.ByteSize;

/**
 * A file another process writes (e.g. a guest's RAM under /dev/shm). There is no dirty log, so the
 * engine finds dirty pages by digest scan (docs/design.md). With a pid, pausing stops that process with
 * SIGSTOP and waits until the kernel reports it stopped.
 */
public final class FileSource implements MemorySource {
    private final MappedPages file;
    private final PageSegments.View view;
    private final ProcessPauser pauser;

    public FileSource(Path path, int pageSize, ProcessPauser pauser) throws IOException {
        this.file = MappedPages.openReadOnly(path, pageSize);
        this.view = file.view();
        this.pauser = pauser;
    }

    @Override
    public PageGeometry geometry() {
        return file.geometry();
    }

    @Override
    public String describe() {
        return "file " + file.path() + " (" + ByteSize.format(file.geometry().bytes())
                + (pauser != null ? ", writer pid " + pauser.pid() : ", no writer to pause") + ")";
    }

    @Override
    public ByteBuffer page(int index) {
        return view.page(index);
    }

    @Override
    public DirtyLog dirtyLog() {
        return null;
    }

    @Override
    public void pause() throws IOException, InterruptedException {
        if (pauser != null) {
            pauser.stop();
        }
    }

    @Override
    public void resume() throws IOException, InterruptedException {
        if (pauser != null) {
            pauser.cont();
        }
    }

    @Override
    public String runState() {
        return pauser != null ? pauser.runState() : "no writer to pause";
    }

    @Override
    public void terminate() throws IOException, InterruptedException {
        if (pauser != null) {
            pauser.kill();
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
