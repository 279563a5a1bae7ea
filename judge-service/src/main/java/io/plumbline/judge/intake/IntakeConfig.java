package io.plumbline.judge.intake;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How spans come in. */
@ConfigMapping(prefix = "plumbline.intake")
public interface IntakeConfig {

    /**
     * How long an OTLP export waits for the broker to acknowledge its spans; past it the exporter is told to retry
     * (gRPC UNAVAILABLE, HTTP 503).
     */
    @WithDefault("10s")
    Duration appendTimeout();

    /** The Retry-After (seconds) an OTLP/HTTP exporter is given with a 503. */
    @WithDefault("5")
    int retryAfterSeconds();
}
