package io.plumbline.judge.intake;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.plumbline.judge.normalize.NormalizedSpan;
import io.plumbline.judge.normalize.SpanNormalizer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Reads {@code otlp_spans} a poll at a time (the channel's batch mode): each record is an OTLP
 * {@code ExportTraceServiceRequest} as the Collector's Kafka exporter writes it, {@code otlp_proto} or
 * {@code otlp_json} (told apart per record by a {@code content-type} header when present, else by its first byte).
 * Every span is normalized and the spans of the whole poll go to the {@link NormalizedSpanHandler} at once (one
 * database transaction for the poll instead of one per record). A record that cannot be decoded, or holds a span with
 * invalid ids, goes to {@code otlp_spans.dlq} with the reason in its {@code dead-letter-reason} header
 * ({@link SpanDeadLetters}), and the rest of the poll goes on. The offsets of the poll are committed once both are
 * done. Decoding and normalizing are CPU work without I/O, done on the connector's event loop; a poll of several
 * partitions is handled in two halves, the second normalized while the first is written.
 */
@ApplicationScoped
public class SpanStreamConsumer {

    static final String SOURCE = "kafka";
    private static final Logger LOG = Logger.getLogger(SpanStreamConsumer.class);

    private final SpanNormalizer normalizer;
    private final NormalizedSpanHandler handler;
    private final IntakeMetrics metrics;
    private final SpanDeadLetters deadLetters;

    SpanStreamConsumer(SpanNormalizer normalizer, NormalizedSpanHandler handler, IntakeMetrics metrics,
            SpanDeadLetters deadLetters) {
        this.normalizer = normalizer;
        this.handler = handler;
        this.metrics = metrics;
        this.deadLetters = deadLetters;
    }

    @Incoming(IntakeChannels.SPANS_IN)
    public Uni<Void> consume(ConsumerRecords<byte[], byte[]> records) {
        List<TopicPartition> partitions = new ArrayList<>(records.partitions());
        if (partitions.size() < 2) {
            return Uni.createFrom().completionStage(normalizeAndHandle(records, partitions));
        }
        // Two halves by partition (a trace's records share one), so that the second half is normalized while the first
        // is written: decoding is this thread's work, writing the database's.
        var firstHalf = normalizeAndHandle(records, partitions.subList(0, partitions.size() / 2));
        var secondHalf = normalizeAndHandle(records, partitions.subList(partitions.size() / 2, partitions.size()));
        return Uni.createFrom().completionStage(CompletableFuture.allOf(firstHalf, secondHalf));
    }

    /** Normalizes the records of these partitions now and starts handing them on; completes when they are handled. */
    private CompletableFuture<Void> normalizeAndHandle(ConsumerRecords<byte[], byte[]> records,
            List<TopicPartition> partitions) {
        List<NormalizedSpan> spans = new ArrayList<>();
        List<Uni<Void>> deadLettered = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            for (ConsumerRecord<byte[], byte[]> record : records.records(partition)) {
                try {
                    spans.addAll(normalize(record));
                } catch (UndecodableSpansException e) {
                    metrics.recordDeadLettered(e instanceof InvalidSpanException ? "invalid_span" : "undecodable");
                    LOG.warnf("otlp_spans record %d@%d goes to the dead-letter topic: %s", record.partition(),
                            record.offset(), e.getMessage());
                    deadLettered.add(deadLetters.send(record, e));
                } catch (RuntimeException e) {
                    metrics.recordDeadLettered("unprocessable");
                    LOG.errorf(e, "otlp_spans record %d@%d could not be normalized; it goes to the dead-letter topic",
                            record.partition(), record.offset());
                    deadLettered.add(deadLetters.send(record, new UndecodableSpansException("unprocessable: " + e, e)));
                }
            }
        }
        Uni<Void> set = deadLettered.isEmpty() ? Uni.createFrom().voidItem()
                : Uni.join().all(deadLettered).andFailFast().replaceWithVoid();
        return set.chain(() -> handler.handle(spans)).subscribeAsCompletionStage();
    }

    List<NormalizedSpan> normalize(ConsumerRecord<byte[], byte[]> record) {
        byte[] value = record.value();
        if (value == null) {
            throw new UndecodableSpansException("undecodable: the record has no value");
        }
        OtlpEncoding encoding = encoding(record);
        ExportTraceServiceRequest request = OtlpTraceCodec.decode(value, encoding);
        metrics.recordDecoded(encoding);
        List<NormalizedSpan> spans = new ArrayList<>();
        int count = 0;
        for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                for (Span span : scopeSpans.getSpansList()) {
                    count++;
                    String problem = SpanIds.problem(span);
                    if (problem != null) {
                        throw new InvalidSpanException("invalid span \"" + span.getName() + "\": " + problem);
                    }
                    spans.add(normalizer.normalize(resourceSpans.getResource(), span));
                }
            }
        }
        metrics.spansReceived(SOURCE, count);
        for (NormalizedSpan span : spans) {
            metrics.spanNormalized(conventionTag(span), span.snapshot().getTruncated());
        }
        return spans;
    }

    private static OtlpEncoding encoding(ConsumerRecord<byte[], byte[]> record) {
        Header header = record.headers().lastHeader(SpanLog.CONTENT_TYPE_HEADER);
        if (header != null && header.value() != null) {
            OtlpEncoding declared = OtlpEncoding.ofContentType(new String(header.value(), StandardCharsets.UTF_8));
            if (declared != null) {
                return declared;
            }
        }
        return OtlpEncoding.sniff(record.value());
    }

    private static String conventionTag(NormalizedSpan span) {
        return switch (span.snapshot().getConvention()) {
            case SOURCE_CONVENTION_OTEL_GENAI -> "otel_genai";
            case SOURCE_CONVENTION_OPENINFERENCE -> "openinference";
            case SOURCE_CONVENTION_OPENLLMETRY -> "openllmetry";
            default -> "none";
        };
    }

    /** A decodable record holding a span nobody can process (invalid ids). */
    static final class InvalidSpanException extends UndecodableSpansException {
        InvalidSpanException(String message) {
            super(message);
        }
    }
}
