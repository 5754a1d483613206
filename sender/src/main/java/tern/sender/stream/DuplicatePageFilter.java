package tern.sender.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import tern.common.digest.DigestKind;
import tern.common.digest.DigestTable;
import tern.common.digest.PageDigest;
import tern.common.page.PageBitmap;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.qemu.stream.StreamSink;

/**
 * Stream mode's skip rule (DESIGN.md "QEMU stream mode", invariants 2 and 3): a PAGE record whose
 * digest equals that of the latest version of its page forwarded on the link is dropped; every
 * other event goes on, in order. "Latest forwarded" includes what is still in flight, not only
 * what was acknowledged: after B was forwarded over an acknowledged A, a page that reverts to A
 * must go again (QEMU-STREAM.md §3.4). That is safe because the link is ordered and a resumed link
 * resends all that was not acknowledged. A ZERO record is always forwarded and makes the page's
 * latest version the zero page; a page never forwarded is unknown, never taken as zero (QEMU
 * sends every page in its first pass, and a destination's RAM need not start zeroed).
 */
public final class DuplicatePageFilter implements StreamSink {
    private final StreamSink next;
    private final PageDigest digest;
    private final byte[] current;
    private final byte[] zeroDigest;
    private DigestTable forwarded;
    private PageBitmap known;
    private long skipped;

    /** Filters the events on their way to {@code next}; {@code kind} must be cryptographic (a collision would lose a write). */
    public DuplicatePageFilter(DigestKind kind, StreamSink next) {
        if (!kind.cryptographic()) {
            throw new IllegalArgumentException(kind.cliName() + " is not a cryptographic digest: a crafted page could"
                    + " collide with the latest version forwarded and be dropped");
        }
        this.next = next;
        this.digest = kind.newDigest();
        this.current = new byte[kind.length()];
        this.zeroDigest = new byte[kind.length()];
        digest.digest(ByteBuffer.allocate(QemuStreamFormat.PAGE_SIZE), zeroDigest, 0);
    }

    @Override
    public void opaque(ByteBuffer bytes) throws IOException {
        next.opaque(bytes);
    }

    @Override
    public void layout(RamLayout layout) throws IOException {
        forwarded = new DigestTable(layout.pageCount(), digest.length());
        known = new PageBitmap(layout.pageCount());
        next.layout(layout);
    }

    @Override
    public void page(int page, ByteBuffer bytes) throws IOException {
        digest.digest(bytes, current, 0);
        if (known.get(page) && forwarded.matches(page, current, 0)) {
            skipped++;
            return;
        }
        // the table moves to the new version before it is forwarded: the next record of this
        // page compares with what the destination will hold once this one arrives
        forwarded.set(page, current, 0);
        known.set(page);
        next.page(page, bytes);
    }

    @Override
    public void zero(int page) throws IOException {
        forwarded.set(page, zeroDigest, 0);
        known.set(page);
        next.zero(page);
    }

    @Override
    public void milestone(StreamMilestone milestone) throws IOException {
        next.milestone(milestone);
    }

    @Override
    public void end() throws IOException {
        next.end();
    }

    /** PAGE records dropped as held. */
    public long skipped() {
        return skipped;
    }

    /** The digest of the latest version forwarded of every page (zero bytes where none was); null before the layout. */
    public DigestTable forwarded() {
        return forwarded;
    }
}
