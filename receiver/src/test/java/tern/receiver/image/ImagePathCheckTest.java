package tern.receiver.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * --image is checked before the receiver listens (docs/hostile-input.md): each path that cannot
 * hold an image is a usage error naming --image and what is wrong, and nothing is left behind.
 */
class ImagePathCheckTest {
    @TempDir
    static Path dir;

    static Stream<Arguments> badPaths() throws Exception {
        Path fifo = dir.resolve("fifo");
        new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
        Files.createDirectories(dir.resolve("a-directory"));
        Files.writeString(dir.resolve("not-a-directory"), "x");
        return Stream.of(
                Arguments.of(dir.resolve("missing").resolve("image.img"), "directory " + dir.resolve("missing") + " does not exist"),
                Arguments.of(dir.resolve("not-a-directory").resolve("image.img"), "is not a directory"),
                Arguments.of(dir.resolve("a-directory"), "is a directory"),
                Arguments.of(fifo, "is not a regular file"),
                Arguments.of(Path.of("/dev/null"), "is not a regular file"),
                Arguments.of(Path.of("/proc/image.img"), "cannot create files in /proc"),
                Arguments.of(Path.of("/sys/image.img"), "cannot create files in /sys"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPaths")
    void aPathThatCannotHoldAnImageIsAUsageError(Path image, String problem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImagePathCheck.check(image, true, false));
        assertTrue(e.getMessage().startsWith("--image " + image + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void anExistingImageIsReplacedOnlyWithOverwriteOrResumed() throws Exception {
        Path image = dir.resolve("precious.img");
        byte[] bytes = "precious".getBytes();
        Files.write(image, bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImagePathCheck.check(image, false, false));
        assertTrue(e.getMessage().contains("--overwrite") && e.getMessage().contains("no migration to resume"),
                e.getMessage());
        assertDoesNotThrow(() -> ImagePathCheck.check(image, true, false));
        assertDoesNotThrow(() -> ImagePathCheck.check(image, false, true));
        assertArrayEquals(bytes, Files.readAllBytes(image), "checking changed the image");
    }

    @Test
    void aGoodPathPassesAndLeavesNothingBehind() throws Exception {
        Path d = Files.createDirectories(dir.resolve("clean"));
        assertDoesNotThrow(() -> ImagePathCheck.check(d.resolve("image.img"), false, false));
        try (Stream<Path> left = Files.list(d)) {
            assertEquals(0, left.count(), "the probe file was left behind");
        }
        assertFalse(Files.exists(d.resolve("image.img")));
    }
}
