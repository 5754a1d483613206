package tern.common.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class ByteSizeTest {
    @Test
    void eachUnitMeansWhatItsStandardSays() {
        assertEquals(4096, ByteSize.parse("4096"));
        assertEquals(4096, ByteSize.parse("4096B"));
        assertEquals(256L << 20, ByteSize.parse("256MiB"));
        assertEquals(256L << 20, ByteSize.parse("256 mib"));
        assertEquals(1536, ByteSize.parse("1.5KiB"));
        assertEquals(1L << 40, ByteSize.parse("1TiB"));
        assertEquals(256_000_000L, ByteSize.parse("256MB"));
        assertEquals(1_000, ByteSize.parse("1kB"));
        assertEquals(2_500_000_000L, ByteSize.parse("2.5GB"));
        assertEquals(3_000_000_000_000L, ByteSize.parse("3TB"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"256mb", "256m", "256M", "64K", "64k", "64KB", "1g", "1Gb", "8b", "1Mb"})
    void refusesWhatCouldMeanTwoThings(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().contains("ambiguous"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "MiB", "-1", "1.5", "0.1KiB", "1 parsec", "99999999TiB"})
    void refusesWhatIsNoSize(String text) {
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
    }

    @Test
    void ratesTakeAnOptionalPerSecond() {
        assertEquals(32L << 20, ByteRate.parse("32MiB/s").bytesPerSecond());
        assertEquals(100_000_000L, ByteRate.parse("100MB").bytesPerSecond());
        assertEquals(0, ByteRate.parse("0").bytesPerSecond());
        assertEquals("32MiB", ByteRate.parse("32MiB").toString(), "kept as written, for --help's default");
    }

    @Command(name = "tool")
    static final class Tool {
        @Option(names = "--memory", converter = Converters.Size.class)
        long memory;

        @Option(names = "--bandwidth", converter = Converters.Rate.class)
        ByteRate bandwidth;
    }

    @Test
    void theConvertersNameTheOptionAndTheRule() {
        for (String[] args : new String[][] {{"--memory", "256mb"}, {"--bandwidth", "10m/s"}}) {
            CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                    () -> new CommandLine(new Tool()).parseArgs(args));
            assertTrue(e.getMessage().contains("'" + args[0] + "'") && e.getMessage().contains("ambiguous")
                    && e.getMessage().contains("KiB MiB GiB TiB"), e.getMessage());
        }
    }
}
