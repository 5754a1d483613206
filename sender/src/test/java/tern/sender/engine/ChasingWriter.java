package tern.sender.engine;

import java.nio.ByteBuffer;
import tern.common.page.PageGeometry;
import tern.sender.source.DirtyLog;
import tern.sender.source.FalseDirtyCauses;
import tern.sender.source.MemorySource;
import tern.sender.workload.SyntheticWorkload;

/**
 * A writer that chases the reader: after each capture it stores new bytes into the page just
 * captured and into one captured a few pages earlier (its batch is still being filled or in
 * flight). Every such store lands between a capture and its acknowledgement, the exact window
 * invariant 2 is about; an engine that forgot any of them would end with a wrong image.
 */
class ChasingWriter implements MemorySource {
    private final SyntheticWorkload w;
    private final int[] recent = new int[8];
    private int captures;

    ChasingWriter(SyntheticWorkload w) {
        this.w = w;
    }

    @Override
    public void afterCapture(int index) {
        w.afterCapture(index);
        w.storeTo(index, false);
        if (captures >= recent.length) {
            w.storeTo(recent[captures % recent.length], false);
        }
        recent[captures++ % recent.length] = index;
    }

    @Override
    public PageGeometry geometry() {
        return w.geometry();
    }

    @Override
    public String describe() {
        return "chasing " + w.describe();
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
    public void pause() {
        w.pause();
    }

    @Override
    public void resume() {
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
