package io.plumbline.common.outbox;

import com.google.protobuf.Message;
import io.plumbline.common.kafka.Topic;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * Writes events into the outbox. Call it inside the transaction that makes the change the event reports: both commit
 * or neither does, and {@link OutboxRelay} publishes what committed.
 */
@ApplicationScoped
public class Outbox {

    /** Adds {@code event} (with its own {@code eventId}) for {@code topic}, keyed by {@code key}. */
    public Uni<Void> enqueue(Topic topic, String key, UUID eventId, Message event) {
        OutboxEvent row = new OutboxEvent();
        row.eventId = eventId;
        row.topic = topic.topicName();
        row.messageKey = key;
        row.payload = event.toByteArray();
        row.createdAt = OffsetDateTime.now(ZoneOffset.UTC);
        return row.persist().replaceWithVoid();
    }
}
