package io.plumbline.judge;

import static io.plumbline.judge.OtlpSpans.attr;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.ListEvaluationsRequest;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.testing.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;

/** Publishes metrics, sends spans to otlp_spans and reads stored evaluations back, as the other services would. */
public final class StreamFixture implements AutoCloseable {

    public static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();

    private final KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
            Map.of("bootstrap.servers", KafkaBroker.shared().bootstrapServers(), "max.block.ms", "120000",
                    "delivery.timeout.ms", "180000", "request.timeout.ms", "10000"),
            new StringSerializer(), new ByteArraySerializer());
    private final JudgeGrpc.JudgeBlockingStub judge;
    public final String project;

    public StreamFixture(JudgeGrpc.JudgeBlockingStub judge) {
        this(judge, "p-" + UUID.randomUUID().toString().substring(0, 8));
    }

    public StreamFixture(JudgeGrpc.JudgeBlockingStub judge, String project) {
        this.judge = judge;
        this.project = project;
    }

    /** Publishes a metric of the level with one binding (version 1, judged by the "patient" provider); returns its id. */
    public String publish(String name, Level level, Binding binding) {
        String metricId = UUID.randomUUID().toString();
        var event = MetricEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setMetricId(metricId)
                .setProjectId(project).setType(MetricEvent.Type.TYPE_METRIC_CREATED)
                .setMetric(Metric.newBuilder().setId(metricId).setProjectId(project).setName(name)
                        .setLevel(level).setOutputType(BOOLEAN).setPublishedVersion(1).setRevision(1)
                        .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("gpt-4o-mini"))
                        .addBindings(binding))
                .setVersion(MetricVersion.newBuilder().setMetricId(metricId).setVersion(1)
                        .setPromptTemplate(name + ": is this helpful? <data>{{input}} {{output}}</data> {{output_format}}"))
                .build();
        try {
            producer.send(new ProducerRecord<>(Topic.METRICS.topicName(), metricId, event.toByteArray())).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        // The catalog knows the metric once an Evaluate with it succeeds.
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            judge.evaluate(EvaluateRequest.newBuilder().setProjectId(project)
                    .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metricId))
                    .addItems(EvaluateItem.newBuilder().setSnapshot(RecordSnapshot.newBuilder().setOutput("probe")))
                    .build());
            return true;
        });
        return metricId;
    }

    public static Binding all(String name) {
        return Binding.newBuilder().setName(name).build();
    }

    /** Sends the spans as one otlp_spans record, keyed by the trace id, as the Collector does. */
    public void send(Span.Builder... spans) {
        String traceId = java.util.HexFormat.of().formatHex(spans[0].getTraceId().toByteArray());
        var request = OtlpSpans.request(OtlpSpans.resource("service.name", "support-bot", "plumbline.project", project),
                spans);
        try {
            producer.send(new ProducerRecord<>(Topic.OTLP_SPANS.topicName(), traceId, request.toByteArray())).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Sends without waiting for the broker (the producer retries while it is away). */
    public void sendAsync(Span.Builder... spans) {
        String traceId = java.util.HexFormat.of().formatHex(spans[0].getTraceId().toByteArray());
        var request = OtlpSpans.request(OtlpSpans.resource("service.name", "support-bot", "plumbline.project", project),
                spans);
        producer.send(new ProducerRecord<>(Topic.OTLP_SPANS.topicName(), traceId, request.toByteArray()));
    }

    public void flush() {
        producer.flush();
    }

    /** A chat span (OpenTelemetry GenAI) of the trace; a root span unless {@code parent} is given. */
    public static Span.Builder chat(String traceId, String parentSpanId, String question, String answer,
            KeyValue... extra) {
        Span.Builder span = OtlpSpans.span(traceId, "chat gpt-4o", attr("gen_ai.operation.name", "chat"),
                attr("gen_ai.system", "openai"), attr("gen_ai.request.model", "gpt-4o"),
                attr("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\""
                        + question + "\"}]}]"),
                attr("gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\""
                        + answer + "\"}],\"finish_reason\":\"stop\"}]"),
                attr("gen_ai.usage.input_tokens", 12L), attr("gen_ai.usage.output_tokens", 7L));
        if (parentSpanId != null) {
            span.setParentSpanId(OtlpSpans.bytes(parentSpanId));
        }
        for (KeyValue attribute : extra) {
            span.addAttributes(attribute);
        }
        return span;
    }

    public static String spanId(Span.Builder span) {
        return java.util.HexFormat.of().formatHex(span.getSpanId().toByteArray());
    }

    /** Every stored evaluation of the metric in the project (all pages). */
    public List<Evaluation> evaluations(String metricId) {
        List<Evaluation> all = new ArrayList<>();
        String token = "";
        do {
            var page = judge.listEvaluations(ListEvaluationsRequest.newBuilder().setProjectId(project)
                    .setMetricId(metricId).setPageSize(500).setPageToken(token).build());
            all.addAll(page.getEvaluationsList());
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return all;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
