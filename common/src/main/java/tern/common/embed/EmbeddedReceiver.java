package tern.common.embed;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * A receiver running inside the sender's process on loopback (tern-sender --embedded-receiver).
 * The sender names no receiver class: tern-receiver provides {@link Provider} through
 * {@link ServiceLoader} (its META-INF/services), and bin/tern-sender puts the receiver's jar on
 * the classpath, so the sender module depends on the receiver only in its tests.
 */
public interface EmbeddedReceiver extends AutoCloseable {
    /** Starts receivers; registered by tern-receiver as a service. */
    interface Provider {
        /** Listens on 127.0.0.1 on a free port for one migration into {@code image} (replaced if it exists). */
        EmbeddedReceiver start(Path image) throws IOException;
    }

    /**
     * The receiver on the classpath, looked up before anything starts.
     *
     * @throws IllegalStateException when there is none, saying how to put one there
     */
    static Provider provider() {
        return ServiceLoader.load(Provider.class).findFirst().orElseThrow(() -> new IllegalStateException(
                "--embedded-receiver needs tern-receiver on the classpath: bin/tern-sender adds"
                        + " receiver/target/tern-receiver.jar; build it with ./mvnw -q package -DskipTests"));
    }

    int port();

    /** Waits for the migration's end: null when the receiver verified it, else why not. */
    String awaitFailure() throws InterruptedException;

    @Override
    void close() throws InterruptedException;
}
