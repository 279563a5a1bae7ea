package io.plumbline.annotation.event;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.kafka.Topic;
import io.plumbline.common.outbox.Outbox;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import io.smallrye.mutiny.Multi;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Emits every committed resolution (and every later change of one) on {@code plumbline.annotations}, keyed by metric
 * id, through the outbox: call it inside the transaction of the resolution.
 */
@ApplicationScoped
public class AnnotationEvents {

    private static final int BULK_CHUNK = 5000;

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
        return outbox.enqueue(Topic.ANNOTATIONS, annotation.getMetricVersion().getMetricId(), eventId,
                event(eventId, annotation, type, supersedes));
    }

    /**
     * Writes many events into the outbox at once, on the connection of the caller's transaction (a bulk import): one
     * statement per chunk instead of one insert per event. The rows are those {@code Outbox.enqueue} writes.
     */
    public static Uni<Void> emitAll(SqlConnection connection, List<AnnotationEvent> events) {
        OffsetDateTime now = ProtoJson.now();
        List<List<AnnotationEvent>> chunks = new ArrayList<>();
        for (int from = 0; from < events.size(); from += BULK_CHUNK) {
            chunks.add(events.subList(from, Math.min(events.size(), from + BULK_CHUNK)));
        }
        return Multi.createFrom().iterable(chunks).onItem().transformToUniAndConcatenate(chunk -> connection
                        .preparedQuery("""
                                insert into outbox_event (event_id, topic, message_key, payload, created_at)
                                select e, $2, k, p, $5 from unnest($1::uuid[], $3::text[], $4::bytea[]) as u(e, k, p)
                                """)
                        .execute(Tuple.from(List.<Object>of(
                                chunk.stream().map(e -> UUID.fromString(e.getEventId())).toArray(UUID[]::new),
                                Topic.ANNOTATIONS.topicName(),
                                chunk.stream().map(AnnotationEvent::getMetricId).toArray(String[]::new),
                                chunk.stream().map(e -> Buffer.buffer(e.toByteArray())).toArray(Buffer[]::new),
                                now))))
                .collect().last().replaceWithVoid();
    }

    /** The event of a resolution (or a change of one). */
    public static AnnotationEvent event(UUID eventId, Annotation annotation, AnnotationEvent.Type type,
            String supersedes) {
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
        return event.build();
    }
}
