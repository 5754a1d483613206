package tern.sender.engine;

import tern.sender.workload.SyntheticWorkload;

/**
 * A writer that chases the reader: after each capture it stores new bytes into the page just
 * captured and into one captured a few pages earlier (its batch is still being filled or in
 * flight). Every such store lands between a capture and its acknowledgement, the exact window
 * invariant 2 is about; an engine that forgot any of them would end with a wrong image.
 */
class ChasingWriter extends WrappedWorkload {
    private final int[] recent = new int[8];
    private int captures;

    ChasingWriter(SyntheticWorkload w) {
        super(w);
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
    public String describe() {
        return "chasing " + w.describe();
    }
}
