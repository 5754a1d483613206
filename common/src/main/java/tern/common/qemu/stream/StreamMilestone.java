package tern.common.qemu.stream;

/** Points of QEMU's stream that change what a relay should do; each comes at most once, in this order. */
public enum StreamMilestone {
    /**
     * The source guest is stopped: QEMU 10.x's SWITCHOVER_START command, or (7.2) the header of
     * the "ram" END section, which QEMU writes only after vm_stop. From here on QEMU's bandwidth
     * estimate no longer matters and every byte is downtime.
     */
    GUEST_PAUSED,
    /**
     * The first byte after the "ram" END section: non-iterable device state, QEMU_VM_EOF and the
     * JSON description follow, opaque, until the source closes the socket.
     */
    DEVICE_STATE
}
