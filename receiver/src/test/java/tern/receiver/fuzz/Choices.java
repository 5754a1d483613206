package tern.receiver.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.Random;

/**
 * Where a hostile session's decisions come from: the coverage-guided fuzzer's bytes, or a seeded
 * random generator for the property tests. Both run the same {@link HostileSession}.
 */
interface Choices {
    int intIn(int min, int max);

    long anyLong();

    boolean bool();

    byte[] bytes(int maxLength);

    /** True once the input is used up (the fuzzer's), so a session stops instead of repeating zeros. */
    boolean exhausted();

    /** Mostly {@code usual}, sometimes something else: keeps most messages deep in the protocol. */
    default boolean rarely() {
        return intIn(0, 9) == 0;
    }

    static Choices of(FuzzedDataProvider data) {
        return new Choices() {
            @Override
            public int intIn(int min, int max) {
                return data.consumeInt(min, max);
            }

            @Override
            public long anyLong() {
                return data.consumeLong();
            }

            @Override
            public boolean bool() {
                return data.consumeBoolean();
            }

            @Override
            public byte[] bytes(int maxLength) {
                return data.consumeBytes(maxLength);
            }

            @Override
            public boolean exhausted() {
                return data.remainingBytes() == 0;
            }
        };
    }

    static Choices of(Random random) {
        return new Choices() {
            @Override
            public int intIn(int min, int max) {
                return min + (int) Math.floorMod(random.nextLong(), (long) max - min + 1);
            }

            @Override
            public long anyLong() {
                return random.nextLong();
            }

            @Override
            public boolean bool() {
                return random.nextBoolean();
            }

            @Override
            public byte[] bytes(int maxLength) {
                byte[] b = new byte[random.nextInt(maxLength + 1)];
                random.nextBytes(b);
                return b;
            }

            @Override
            public boolean exhausted() {
                return false;
            }

            // rarer than the fuzzer's: with no coverage feedback, most sessions must get past their hello
            @Override
            public boolean rarely() {
                return random.nextInt(40) == 0;
            }
        };
    }
}
