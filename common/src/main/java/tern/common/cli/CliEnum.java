package tern.common.cli;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * An enum option by its command-line names, {@code SYNC_CLEAR} as "sync-clear": a picocli
 * converter and, for {@code ${COMPLETION-CANDIDATES}} in help, the list of names. One subclass
 * per enum, as picocli instantiates both by class:
 * {@code converter = Modes.class, completionCandidates = Modes.class}.
 */
public abstract class CliEnum<E extends Enum<E>> implements ITypeConverter<E>, Iterable<String> {
    private final E[] values;

    protected CliEnum(Class<E> type) {
        this.values = type.getEnumConstants();
    }

    /** The command-line name of {@code e}: lower case, '-' for '_'. */
    public static String name(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @Override
    public E convert(String value) {
        for (E e : values) {
            if (name(e).equals(value)) {
                return e;
            }
        }
        throw new TypeConversionException("'" + value + "' is not one of " + String.join(", ", this));
    }

    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(values).map(CliEnum::name).iterator();
    }
}
