package io.plumbline.registry.event;

import io.plumbline.common.kafka.Topic;
import io.plumbline.common.outbox.Outbox;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.registry.metric.MetricEntity;
import io.plumbline.registry.metric.MetricMapping;
import io.plumbline.registry.metric.MetricVersionEntity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * Emits every committed change of a metric on {@code plumbline.metrics}, keyed by metric id, through the outbox: call it
 * inside the transaction of the change.
 */
@ApplicationScoped
public class MetricEvents {

    private final Outbox outbox;

    MetricEvents(Outbox outbox) {
        this.outbox = outbox;
    }

    /**
     * @param version the version concerned: the new or the published one; null leaves it out
     */
    public Uni<Void> emit(MetricEvent.Type type, MetricEntity metric, MetricVersionEntity version, Author actor) {
        UUID eventId = UUID.randomUUID();
        var event = MetricEvent.newBuilder()
                .setEventId(eventId.toString())
                .setEventTime(MetricMapping.timestamp(metric.updatedAt))
                .setProjectId(metric.projectId)
                .setMetricId(metric.id.toString())
                .setType(type)
                .setMetric(MetricMapping.toProto(metric))
                .setActor(actor);
        if (version != null) {
            event.setVersion(MetricMapping.toProto(version, metric.projectId));
        }
        return outbox.enqueue(Topic.METRICS, metric.id.toString(), eventId, event.build());
    }
}
