package io.plumbline.annotation;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ids of the rows this service creates: UUIDs of version 7 (RFC 9562), a millisecond timestamp then random bits. Rows
 * created together get neighbouring ids, so the primary keys and the indexes keyed by item id (feedback, assignments,
 * annotations) grow at their right edge instead of dirtying a random leaf page per row, which is what made the bulk
 * writes of an import pay for every index in page writes. Ids are not secrets: access is checked by project and caller.
 */
public final class Ids {

    private Ids() {
    }

    public static UUID newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long millis = System.currentTimeMillis();
        long high = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low);
    }
}
