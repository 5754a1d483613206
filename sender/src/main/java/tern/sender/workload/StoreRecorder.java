package tern.sender.workload;

/** Told of every visit a synthetic writer makes (tern-trial --record-trace). Called on the writing thread. */
public interface StoreRecorder {
    void stored(long nanosSinceStart, int page, boolean silent);
}
