package tern.common.units;

import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters shared by the command-line tools: the one way every tool reads a size, a
 * rate and a duration. They throw {@link TypeConversionException}, which picocli reports naming
 * the option ("Invalid value for option '--memory': ...").
 */
public final class Converters {
    private Converters() {
    }

    public static final class Size implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return ByteSize.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage() + "; " + ByteSize.RULE);
            }
        }
    }

    public static final class Rate implements CommandLine.ITypeConverter<ByteRate> {
        @Override
        public ByteRate convert(String value) {
            try {
                return ByteRate.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage() + "; a rate is a SIZE per second (32MiB or 32MiB/s), "
                        + ByteSize.RULE);
            }
        }
    }

    public static final class Time implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
