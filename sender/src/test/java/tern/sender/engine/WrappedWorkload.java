package tern.sender.engine;

import java.nio.ByteBuffer;
import tern.common.page.PageGeometry;
import tern.sender.source.DirtyLog;
import tern.sender.source.FalseDirtyCauses;
import tern.sender.source.MemorySource;
import tern.sender.workload.SyntheticWorkload;

/** A real workload as the source, with what a test adds around it: the tests' writers and gated pauses extend this. */
abstract class WrappedWorkload implements MemorySource {
    final SyntheticWorkload w;

    WrappedWorkload(SyntheticWorkload w) {
        this.w = w;
    }

    @Override
    public PageGeometry geometry() {
        return w.geometry();
    }

    @Override
    public ByteBuffer page(int index) {
        return w.page(index);
    }

    @Override
    public DirtyLog dirtyLog() {
        return w.dirtyLog();
    }

    @Override
    public FalseDirtyCauses causes() {
        return w.causes();
    }

    @Override
    public void pause() throws Exception {
        w.pause();
    }

    @Override
    public void resume() throws Exception {
        w.resume();
    }

    @Override
    public void terminate() throws Exception {
        w.terminate();
    }

    @Override
    public void close() throws Exception {
        w.close();
    }
}
