package tern.common.digest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class RootDigestTest {
    @Test
    void isSha256OverTheConcatenatedPageDigestsInOrder() throws Exception {
        PageDigest page = DigestKind.XXH3_128.newDigest();
        RootDigest root = new RootDigest();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] batch = new byte[3 * page.length()];
        for (int p = 0; p < 9; p++) {
            page.digest(ByteBuffer.wrap(PageDigestTest.randomPage(p, 4096)), batch, (p % 3) * page.length());
            if (p % 3 == 2) { // fed a batch at a time, as acknowledgements arrive
                root.add(batch, 0, batch.length);
                all.write(batch);
            }
        }
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(all.toByteArray());
        assertArrayEquals(expected, root.finish());

        root.add(new byte[] {9, 1, 2, 3}, 1, 3); // reusable after finish, honours offset and length
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(new byte[] {1, 2, 3}), root.finish());
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", RootDigest.hex(root.finish()));
    }

    @Test
    void hexIsLowercaseAndKeepsLeadingZeros() {
        assertEquals("", RootDigest.hex(new byte[0]));
        assertEquals("000fa0ff", RootDigest.hex(new byte[] {0, 0x0f, (byte) 0xa0, (byte) 0xff}));
    }
}
