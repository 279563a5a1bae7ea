package io.plumbline.judge.assembly;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** When traces and sessions are complete, and how big their records may grow. */
@ConfigMapping(prefix = "plumbline.assembly")
public interface AssemblyConfig {

    /** A trace whose root span ended is complete once no span of it arrived for this long. */
    @WithDefault("5s")
    Duration traceIdleGap();

    /** A trace whose root span never arrives is assembled anyway once no span of it arrived for this long. */
    @WithDefault("15m")
    Duration orphanTraceGap();

    /** A session closes once no span of it arrived for this long. */
    @WithDefault("15m")
    Duration sessionIdleGap();

    /**
     * A span attribute that ends its session explicitly when it is "true"; the session then closes once its traces went
     * idle (the trace idle gap), without waiting for the session idle gap.
     */
    @WithDefault("plumbline.session.end")
    String sessionEndAttribute();

    /** How often idle traces and sessions are looked for, and assembled records are picked up for judging. */
    @WithDefault("1s")
    Duration closeInterval();

    /** Traces, sessions or records taken per transaction by the closer. */
    @WithDefault("200")
    int batchSize();

    /**
     * How long a replica holds an assembled record it judges; if it dies meanwhile, another one takes the record over
     * after this (stored evaluations are not judged again).
     */
    @WithDefault("10m")
    Duration judgeLease();

    /**
     * Largest serialized trace or session record (bytes): beyond it, messages and tool calls in the middle are left out
     * and a marker message says how many.
     */
    @WithDefault("262144")
    int maxRecordBytes();

    /** How long assembly state of closed traces and sessions is kept (to recognise late and redelivered spans). */
    @WithDefault("24h")
    Duration retention();
}
