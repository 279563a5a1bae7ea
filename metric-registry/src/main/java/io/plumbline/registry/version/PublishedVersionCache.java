package io.plumbline.registry.version;

import io.plumbline.proto.registry.v1.MetricWithVersion;
import io.quarkus.cache.Cache;
import io.quarkus.cache.CacheName;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Published versions in memory, because the judge reads them on every record. Every change of a metric goes through
 * {@link #changeThenForget}, which drops the entry once the change committed, so this replica's readers see the change
 * at once; other replicas see it within the entry's time to live ({@code quarkus.cache.caffeine."published-versions"
 * .expire-after-write}).
 */
@ApplicationScoped
public class PublishedVersionCache {

    private final Cache cache;

    PublishedVersionCache(@CacheName("published-versions") Cache cache) {
        this.cache = cache;
    }

    Uni<MetricWithVersion> get(UUID metricId, Supplier<Uni<MetricWithVersion>> load) {
        return cache.getAsync(metricId, id -> load.get());
    }

    /** Runs a change of one metric in a transaction; once it committed, forgets the metric's cached read. */
    public <T> Uni<T> changeThenForget(UUID metricId, Supplier<Uni<T>> change) {
        return Panache.withTransaction(change).call(() -> cache.invalidate(metricId));
    }
}
