package io.plumbline.testing.llm;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** How long the stand-in waits before answering. The wait is a timer: no thread is held while it runs. */
public sealed interface Latency {

    /** The delay for one answer. */
    Duration next();

    /** Answer at once. */
    static Latency none() {
        return new Fixed(Duration.ZERO);
    }

    /** Always {@code delay}. */
    static Latency fixed(Duration delay) {
        return new Fixed(delay);
    }

    /** Uniformly random between {@code min} and {@code max} (inclusive). */
    static Latency uniform(Duration min, Duration max) {
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException("max < min");
        }
        return new Uniform(min, max);
    }

    record Fixed(Duration delay) implements Latency {
        @Override
        public Duration next() {
            return delay;
        }
    }

    record Uniform(Duration min, Duration max) implements Latency {
        @Override
        public Duration next() {
            long spread = max.toNanos() - min.toNanos();
            return min.plusNanos(spread == 0 ? 0 : ThreadLocalRandom.current().nextLong(spread + 1));
        }
    }
}
