package tern.sender.source;

/**
 * Tells the two causes of a false dirty page apart, where the writer knows what it stored:
 * a store landed since the page was last captured (so it left the bytes as they were: a silent
 * store), or none did (the page was dirtied after the sync but before it was read).
 */
public interface FalseDirtyCauses {
    /** True when a store landed on {@code index} since its last capture; forgets it (the page is being captured now). */
    boolean storedSinceCaptureAndReset(int index);
}
