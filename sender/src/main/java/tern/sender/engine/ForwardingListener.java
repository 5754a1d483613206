package tern.sender.engine;

import tern.common.stats.IterationStats;

/**
 * A listener that passes every event on to {@link #next()}: the base of a decorator that acts at
 * a few of them (the sender's interruption handler, tests that act at one point of a run).
 */
public abstract class ForwardingListener implements EngineListener {
    /** Where the events go; asked at each event, so a decorator may change it while the engine runs. */
    protected abstract EngineListener next();

    @Override
    public void beforePass(int iteration, String phase) {
        next().beforePass(iteration, phase);
    }

    @Override
    public void batchSent(int iteration, long pagesSent, long pagesSkipped, long pagesDirty, long wireBytes) {
        next().batchSent(iteration, pagesSent, pagesSkipped, pagesDirty, wireBytes);
    }

    @Override
    public void iterationDone(IterationStats stats) {
        next().iterationDone(stats);
    }

    @Override
    public void completing() {
        next().completing();
    }

    @Override
    public void message(String line) {
        next().message(line);
    }

    @Override
    public void resumed(int reconnects, long lacking) {
        next().resumed(reconnects, lacking);
    }
}
