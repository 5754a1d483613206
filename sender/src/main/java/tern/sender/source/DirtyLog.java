package tern.sender.source;

import tern.common.page.PageBitmap;

/**
 * A dirty log with manual protection, like KVM's: {@link #fetch} ORs the logged pages into the
 * migration bitmap, {@link #clear} forgets a page and re-arms it so its next store is logged.
 */
public interface DirtyLog {
    /** ORs logged pages into {@code bitmap}; with {@code clear}, the whole log is emptied in the same sweep (sync-clear). */
    void fetch(PageBitmap bitmap, boolean clear);

    /** Forgets page {@code index}: a store that lands after this returns is logged again. */
    void clear(int index);

    /** Empties the log: logging starts from here. */
    void reset();
}
