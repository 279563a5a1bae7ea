package io.plumbline.common.outbox;

import com.google.protobuf.Message;
import io.plumbline.common.api.Bytea;
import io.plumbline.common.kafka.Topic;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
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

    /** One event of {@link #enqueueAll}: its id, its Kafka key, the message. */
    public record Pending(UUID eventId, String key, Message event) {
    }

    /**
     * Adds {@code events} for {@code topic} in one statement on a reactive SQL client's connection, inside the
     * caller's transaction: the same rows as {@link #enqueue}, for writers that store many changes at once.
     */
    public Uni<Void> enqueueAll(SqlConnection connection, Topic topic, List<Pending> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return connection.preparedQuery("""
                        insert into outbox_event (event_id, topic, message_key, payload, created_at)
                        select event_id, $2, message_key, payload, $5
                          from unnest($1::uuid[], $3::text[], $4::bytea[]) as e (event_id, message_key, payload)""")
                .execute(Tuple.from(List.<Object>of(
                        events.stream().map(Pending::eventId).toArray(UUID[]::new),
                        topic.topicName(),
                        events.stream().map(Pending::key).toArray(String[]::new),
                        events.stream().map(e -> Bytea.wrap(e.event().toByteArray())).toArray(Buffer[]::new),
                        OffsetDateTime.now(ZoneOffset.UTC))))
                .replaceWithVoid();
    }
}
