package tern.receiver.stream;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import tern.common.qemu.stream.RamLayout;
import tern.proto.QemuStreamHello;

/**
 * Where a receiver writes the QEMU streams it is sent: a destination QEMU listening for an
 * incoming migration (tern.receiver.qemu.QemuStreamDestination starts one per migration).
 */
public interface StreamDestination {
    /**
     * A destination for the migration {@code hello} announces, listening and connected; checked
     * against the hello (machine type, RAM) before anything is written, so that a destination that
     * cannot load the stream refuses the hello rather than fail half-way.
     *
     * @throws IOException naming what is wrong with the destination; nothing of it is left running
     */
    Connection open(QemuStreamHello hello, RamLayout layout) throws IOException, InterruptedException;

    /** One destination, fed one stream. */
    interface Connection extends AutoCloseable {
        /** QEMU's incoming migration socket: the rebuilt stream goes here, in order. */
        WritableByteChannel stream();

        /** The stream's last byte was written: the socket's write side is shut. */
        void endOfStream() throws IOException;

        /**
         * Waits for the destination to report its incoming migration completed, then continues its
         * guest; from then on the guest is the destination's and outlives the receiver.
         *
         * @throws IOException naming QEMU's status and error when the load failed or took longer than {@code timeout}
         */
        Running awaitLoadedAndContinue(Duration timeout) throws IOException, InterruptedException;

        /** What the destination says of itself now (its status, its error, its last lines), for an error message. */
        String describe();

        /** Ends a destination whose guest was not continued; one that was runs on. */
        @Override
        void close();
    }

    /** A guest running at the destination: QEMU's pid and its own timestamp of the RESUME (null if none came). */
    record Running(long pid, Long resumedEpochMicros) {
    }
}
