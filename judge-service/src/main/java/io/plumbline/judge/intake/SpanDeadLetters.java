package io.plumbline.judge.intake;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Sends one {@code otlp_spans} record of a poll to {@code otlp_spans.dlq}, unchanged, with the headers SmallRye's
 * dead-letter strategy writes ({@code dead-letter-reason}, {@code dead-letter-cause}, {@code dead-letter-topic},
 * {@code dead-letter-partition}, {@code dead-letter-offset}): the connector's own strategy works on whole polls in
 * batch mode, which would send the good records along with the bad one. The send is retried until the broker takes it,
 * so the poll's offsets are never committed past a record that reached neither the assembly nor the dead-letter topic.
 */
@ApplicationScoped
public class SpanDeadLetters {

    static final String CHANNEL = "otlp-spans-dead-letters";

    private final MutinyEmitter<byte[]> emitter;

    SpanDeadLetters(@Channel(CHANNEL) MutinyEmitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    Uni<Void> send(ConsumerRecord<byte[], byte[]> record, Throwable reason) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add("dead-letter-reason", utf8(String.valueOf(reason.getMessage())));
        if (reason.getCause() != null && reason.getCause().getMessage() != null) {
            headers.add("dead-letter-cause", utf8(reason.getCause().getMessage()));
        }
        headers.add("dead-letter-topic", utf8(record.topic()));
        headers.add("dead-letter-partition", utf8(Integer.toString(record.partition())));
        headers.add("dead-letter-offset", utf8(Long.toString(record.offset())));
        byte[] value = record.value() == null ? new byte[0] : record.value();
        Message<byte[]> message = Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder()
                .withKey(record.key()).withHeaders(headers).build());
        return Uni.createFrom().deferred(() -> emitter.sendMessage(message))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
