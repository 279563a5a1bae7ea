package io.plumbline.judge.intake;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The intake's counters on the Prometheus endpoint:
 * <ul>
 * <li>{@code plumbline_intake_spans_received_total{source=kafka|grpc|http}}: spans that arrived (Kafka: in decoded
 * records; receivers: in export requests, rejected ones included);</li>
 * <li>{@code plumbline_intake_spans_rejected_total{source=grpc|http}}: spans a receiver refused (invalid ids);</li>
 * <li>{@code plumbline_intake_records_decoded_total{encoding=otlp_proto|otlp_json}}: Kafka records decoded;</li>
 * <li>{@code plumbline_intake_records_dead_lettered_total{reason=undecodable|invalid_span|unprocessable}}: Kafka
 * records sent to {@code otlp_spans.dlq};</li>
 * <li>{@code plumbline_intake_spans_normalized_total{convention=...}}: spans normalized, by the convention their
 * content was read from ({@code none} for spans without GenAI content);</li>
 * <li>{@code plumbline_intake_spans_truncated_total}: normalized spans with a field cut at the configured size.</li>
 * </ul>
 */
@ApplicationScoped
public class IntakeMetrics {

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    IntakeMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void spansReceived(String source, int count) {
        counter("plumbline.intake.spans.received", "source", source, "Spans that arrived").increment(count);
    }

    void spansRejected(String source, int count) {
        counter("plumbline.intake.spans.rejected", "source", source, "Spans a receiver refused").increment(count);
    }

    void recordDecoded(OtlpEncoding encoding) {
        counter("plumbline.intake.records.decoded", "encoding", encoding.kafkaEncoding(), "Kafka records decoded").increment();
    }

    void recordDeadLettered(String reason) {
        counter("plumbline.intake.records.dead_lettered", "reason", reason, "Kafka records sent to the dead-letter topic")
                .increment();
    }

    void spanNormalized(String convention, boolean truncated) {
        counter("plumbline.intake.spans.normalized", "convention", convention, "Spans normalized into records").increment();
        if (truncated) {
            counter("plumbline.intake.spans.truncated", null, null, "Normalized spans with a field cut").increment();
        }
    }

    private Counter counter(String name, String tag, String value, String description) {
        return counters.computeIfAbsent(name + '|' + value, k -> {
            Counter.Builder builder = Counter.builder(name).description(description);
            if (tag != null) {
                builder.tag(tag, value);
            }
            return builder.register(registry);
        });
    }
}
