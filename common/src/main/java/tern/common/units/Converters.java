package tern.common.units;

import java.time.Duration;
import picocli.CommandLine;

/** picocli converters shared by the command-line tools. */
public final class Converters {
    private Converters() {
    }

    public static final class Size implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return ByteSize.parse(value);
        }
    }

    public static final class Time implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Durations.parse(value);
        }
    }
}
