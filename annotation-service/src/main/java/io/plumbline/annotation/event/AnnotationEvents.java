package io.plumbline.annotation.event;

import io.plumbline.annotation.Ids;
import com.google.protobuf.CodedOutputStream;
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
import java.io.IOException;
import java.io.UncheckedIOException;
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
        return Ids.newId();
    }

    /** @param supersedes the event this one replaces (the annotation's previous newest event); null for RESOLVED */
    public Uni<Void> emit(UUID eventId, Annotation annotation, AnnotationEvent.Type type, String supersedes) {
        return outbox.enqueue(Topic.ANNOTATIONS, annotation.getMetricVersion().getMetricId(), eventId,
                event(eventId, annotation, type, supersedes));
    }

    /** An event ready for the outbox: its id, its key (the metric id) and its bytes. */
    public record Serialized(UUID eventId, String metricId, byte[] payload) {
    }

    /**
     * The event's bytes, its annotation being {@code annotationBytes} already (the content of the annotation row):
     * the annotation, most of the event, is not serialized a second time. The same message as
     * {@code event.toByteArray()}, the annotation field written last.
     */
    public static Serialized serialize(AnnotationEvent event, byte[] annotationBytes) {
        AnnotationEvent rest = event.toBuilder().clearAnnotation().build();
        byte[] payload = new byte[rest.getSerializedSize()
                + CodedOutputStream.computeByteArraySize(AnnotationEvent.ANNOTATION_FIELD_NUMBER, annotationBytes)];
        CodedOutputStream out = CodedOutputStream.newInstance(payload);
        try {
            rest.writeTo(out);
            out.writeByteArray(AnnotationEvent.ANNOTATION_FIELD_NUMBER, annotationBytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // not from an array of the right size
        }
        out.checkNoSpaceLeft();
        return new Serialized(UUID.fromString(event.getEventId()), event.getMetricId(), payload);
    }

    /**
     * Writes many events into the outbox at once, on the connection of the caller's transaction (a bulk import): one
     * statement per chunk instead of one insert per event. The rows are those {@code Outbox.enqueue} writes.
     */
    public static Uni<Void> emitAll(SqlConnection connection, List<Serialized> events) {
        OffsetDateTime now = ProtoJson.now();
        List<List<Serialized>> chunks = new ArrayList<>();
        for (int from = 0; from < events.size(); from += BULK_CHUNK) {
            chunks.add(events.subList(from, Math.min(events.size(), from + BULK_CHUNK)));
        }
        // One statement after the other: the relay publishes in the order of the rows' ids.
        return Multi.createFrom().iterable(chunks).onItem().transformToUniAndConcatenate(chunk -> connection
                        .preparedQuery("""
                                insert into outbox_event (event_id, topic, message_key, payload, created_at)
                                select e, $2, k, p, $5 from unnest($1::uuid[], $3::text[], $4::bytea[]) as u(e, k, p)
                                """)
                        .execute(Tuple.from(List.<Object>of(
                                chunk.stream().map(Serialized::eventId).toArray(UUID[]::new),
                                Topic.ANNOTATIONS.topicName(),
                                chunk.stream().map(Serialized::metricId).toArray(String[]::new),
                                chunk.stream().map(e -> Buffer.buffer(e.payload())).toArray(Buffer[]::new),
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
