package io.plumbline.judge.catalog;

import io.plumbline.common.kafka.UnprocessableRecord;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.proto.registry.v1.MetricVersion;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Every metric and every version the judge knows, kept in memory from {@code plumbline.metrics}: each replica reads
 * the topic from the beginning with a consumer group of its own, so a newly published version judges the next records
 * on every replica. Events carry the metric's settings after the change and the version concerned, so no call back to
 * the registry is needed; an older event arriving late never overwrites a newer one (revisions only grow).
 *
 * <p>Not yet: loading from the registry's {@code ListPublishedVersions} at start, for topics whose retention dropped old
 * events.
 */
@ApplicationScoped
public class MetricCatalog {

    private final Map<String, Metric> metrics = new ConcurrentHashMap<>();
    private final Map<String, MetricVersion> versions = new ConcurrentHashMap<>();

    @Incoming("metric-catalog")
    public void onMetricEvent(byte[] payload) {
        MetricEvent event = UnprocessableRecord.decode(payload, MetricEvent.parser(), "plumbline.registry.v1.MetricEvent");
        if (!event.hasMetric() || event.getMetric().getId().isEmpty()) {
            throw new UnprocessableRecord("MetricEvent " + event.getEventId() + " carries no metric");
        }
        Metric metric = event.getMetric();
        metrics.merge(metric.getId(), metric, (held, arriving) -> arriving.getRevision() >= held.getRevision() ? arriving : held);
        if (event.hasVersion() && event.getVersion().getVersion() > 0) {
            versions.put(key(metric.getId(), event.getVersion().getVersion()), event.getVersion());
        }
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
