package io.plumbline.common.llm;

import java.time.Duration;

/**
 * A per-minute allowance (requests or tokens) refilled continuously. Callers wait for their share rather than fail:
 * a provider's limit delays calls, it does not lose them. Blocking; called on virtual threads.
 */
final class TokenBucket {

    private final double perNano;
    private final double capacity;
    private double available;
    private long refilledAt;

    TokenBucket(double perMinute) {
        this.capacity = perMinute;
        this.perNano = perMinute / Duration.ofMinutes(1).toNanos();
        this.available = perMinute;
        this.refilledAt = System.nanoTime();
    }

    /** Takes {@code amount} (at most the capacity), waiting as long as the allowance needs to refill. */
    void take(double amount) throws InterruptedException {
        double wanted = Math.min(amount, capacity);
        long waitNanos;
        synchronized (this) {
            refill();
            available -= wanted; // may go negative: later callers queue behind this one
            waitNanos = available >= 0 ? 0 : (long) (-available / perNano);
        }
        if (waitNanos > 0) {
            Thread.sleep(Duration.ofNanos(waitNanos));
        }
    }

    /** Gives back (or takes more) once the real amount is known. */
    synchronized void adjust(double difference) {
        refill();
        available = Math.min(capacity, available - difference);
    }

    private void refill() {
        long now = System.nanoTime();
        available = Math.min(capacity, available + (now - refilledAt) * perNano);
        refilledAt = now;
    }
}
