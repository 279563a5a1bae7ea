package io.plumbline.judge.catalog;

import io.plumbline.common.kafka.UnprocessableRecord;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Every metric and every version the judge knows, in memory: loaded from the registry at start
 * ({@link RegistryCatalogLoader}: every published version, built-ins included) and kept current from
 * {@code plumbline.metrics}, which each replica reads from the beginning with a consumer group of its own, so a newly
 * published version judges the next records on every replica. Events carry the metric's settings after the change and
 * the version concerned, so no call back to the registry is needed; whatever arrives, an older state of a metric never
 * overwrites a newer one (revisions only grow), and versions are immutable.
 *
 * <p>Until the load from the registry has succeeded the catalog is not {@link #isLoaded() loaded}: span intake and the
 * judging of assembled records wait for it, so that a (re)started replica never judges with an incomplete catalog.
 */
@ApplicationScoped
public class MetricCatalog {

    private final Map<String, Metric> metrics = new ConcurrentHashMap<>();
    private final Map<String, MetricVersion> versions = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();

    @Incoming("metric-catalog")
    public void onMetricEvent(byte[] payload) {
        MetricEvent event = UnprocessableRecord.decode(payload, MetricEvent.parser(), "plumbline.registry.v1.MetricEvent");
        if (!event.hasMetric() || event.getMetric().getId().isEmpty()) {
            throw new UnprocessableRecord("MetricEvent " + event.getEventId() + " carries no metric");
        }
        learn(event.getMetric(), event.hasVersion() ? event.getVersion() : null);
    }

    /** Takes in a metric's state and, when given, one of its versions. */
    public void learn(Metric metric, MetricVersion version) {
        metrics.merge(metric.getId(), metric, (held, arriving) -> arriving.getRevision() >= held.getRevision() ? arriving : held);
        if (version != null && version.getVersion() > 0) {
            versions.put(key(metric.getId(), version.getVersion()), version);
        }
    }

    /** Called once the registry's published versions are in (or when loading from the registry is switched off). */
    public void markLoaded() {
        loaded.complete(null);
    }

    public boolean isLoaded() {
        return loaded.isDone();
    }

    /** Completes when the catalog is loaded. */
    public Uni<Void> whenLoaded() {
        return isLoaded() ? Uni.createFrom().voidItem() : Uni.createFrom().completionStage(loaded);
    }

    /** The metric, if the project may use it (its own metrics and the built-ins). */
    public Optional<Metric> metric(String projectId, String metricId) {
        return Optional.ofNullable(metrics.get(metricId))
                .filter(m -> m.getBuiltin() || m.getProjectId().equals(projectId));
    }

    /** A version of the metric; 0 means the published one. */
    public Optional<MetricVersion> version(Metric metric, int version) {
        int wanted = version == 0 ? metric.getPublishedVersion() : version;
        return Optional.ofNullable(versions.get(key(metric.getId(), wanted)));
    }

    /** Every metric that judges now (not archived, with its published version known), with that version. */
    public java.util.List<Published> published() {
        return metrics.values().stream().filter(m -> !m.getArchived() && m.getPublishedVersion() > 0)
                .flatMap(m -> version(m, 0).map(v -> new Published(m, v)).stream())
                .toList();
    }

    /** A metric with the version that judges. */
    public record Published(Metric metric, MetricVersion version) {
    }

    private static String key(String metricId, int version) {
        return metricId + "/" + version;
    }
}
