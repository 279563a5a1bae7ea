package io.plumbline.judge.intake;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Appends what the OTLP receivers accepted to {@code otlp_spans}: one protobuf {@code ExportTraceServiceRequest} per
 * trace, keyed by its hex trace id, byte for byte what the Collector's Kafka exporter writes (plus a
 * {@code content-type} header). Completes when the broker acknowledged every record; fails with
 * {@link SpanLogUnavailableException} after the append timeout. The Kafka producer's {@code send()} runs on the
 * connector's sending thread, never on the caller's event loop.
 */
@ApplicationScoped
public class SpanLog {

    static final String CONTENT_TYPE_HEADER = "content-type";

    @Inject
    @Channel(IntakeChannels.SPANS_APPEND)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
    MutinyEmitter<byte[]> emitter;

    @Inject
    IntakeConfig config;

    Uni<Void> append(Map<String, ExportTraceServiceRequest> byTraceId) {
        if (byTraceId.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> sends = new ArrayList<>(byTraceId.size());
        byTraceId.forEach((traceId, request) -> {
            RecordHeaders headers = new RecordHeaders();
            headers.add(CONTENT_TYPE_HEADER, OtlpEncoding.PROTOBUF.mediaType().getBytes(StandardCharsets.UTF_8));
            Message<byte[]> message = Message.of(request.toByteArray()).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                    .withKey(traceId).withHeaders(headers).build());
            sends.add(Uni.createFrom().deferred(() -> emitter.sendMessage(message)));
        });
        return Uni.join().all(sends).andFailFast().replaceWithVoid()
                .ifNoItem().after(config.appendTimeout())
                .failWith(() -> new SpanLogUnavailableException("the broker did not acknowledge the spans within "
                        + config.appendTimeout()))
                .onFailure(f -> !(f instanceof SpanLogUnavailableException))
                .transform(f -> new SpanLogUnavailableException("the spans could not be appended: " + f.getMessage(), f));
    }
}
