package io.plumbline.annotation.event;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.kafka.Topic;
import io.plumbline.common.outbox.Outbox;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * Emits every committed resolution (and every later change of one) on {@code plumbline.annotations}, keyed by metric
 * id, through the outbox: call it inside the transaction of the resolution.
 */
@ApplicationScoped
public class AnnotationEvents {

    private final Outbox outbox;

    AnnotationEvents(Outbox outbox) {
        this.outbox = outbox;
    }

    /** A new event id, to put in {@code Annotation.last_event_id} before {@link #emit}. */
    public static UUID newEventId() {
        return UUID.randomUUID();
    }

    /** @param supersedes the event this one replaces (the annotation's previous newest event); null for RESOLVED */
    public Uni<Void> emit(UUID eventId, Annotation annotation, AnnotationEvent.Type type, String supersedes) {
        var event = AnnotationEvent.newBuilder()
                .setEventId(eventId.toString())
                .setEventTime(annotation.getUpdateTime().getSeconds() == 0 ? ProtoJson.timestamp(ProtoJson.now())
                        : annotation.getUpdateTime())
                .setProjectId(annotation.getProjectId())
                .setMetricId(annotation.getMetricVersion().getMetricId())
                .setAnnotationId(annotation.getId())
                .setType(type)
                .setAnnotation(annotation);
        if (supersedes != null) {
            event.setSupersedesEventId(supersedes);
        }
        return outbox.enqueue(Topic.ANNOTATIONS, annotation.getMetricVersion().getMetricId(), eventId, event.build());
    }
}
