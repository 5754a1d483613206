package tern.common.xbzrle;

/** A delta that is not a well-formed XBZRLE encoding for the page size; the message says where and why. */
public final class XbzrleFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int payloadOffset;

    public XbzrleFormatException(String message, int payloadOffset) {
        super(message);
        this.payloadOffset = payloadOffset;
    }

    /** Offset within the delta (from its first byte) of the length or run that is wrong. */
    public int payloadOffset() {
        return payloadOffset;
    }
}
