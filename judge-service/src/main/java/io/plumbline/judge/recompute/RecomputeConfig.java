package io.plumbline.judge.recompute;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Recompute jobs ({@code plumbline.recompute.*}). */
@ConfigMapping(prefix = "plumbline.recompute")
public interface RecomputeConfig {

    /** Records of one job judged at once (provider limits apply on top). */
    @WithDefault("8")
    int concurrency();

    /** Jobs one replica runs at once; further jobs wait for a replica with room. */
    @WithDefault("2")
    int maxJobsPerReplica();

    /** How long a replica holds a job it runs without renewing its claim; a job whose claim ran out is resumed. */
    @WithDefault("30s")
    Duration lease();

    /** How often a running job renews its claim and reads its status (a cancel made on another replica). */
    @WithDefault("500ms")
    Duration pollInterval();

    /** Completion tokens per record an estimate assumes when the metric has no evaluation yet. */
    @WithDefault("200")
    long defaultCompletionTokens();

    /** Provider latency per record an estimate assumes when the metric has no evaluation yet. */
    @WithDefault("2s")
    Duration defaultLatency();
}
