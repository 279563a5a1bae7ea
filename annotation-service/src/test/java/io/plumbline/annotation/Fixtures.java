package io.plumbline.annotation;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.ListItemsRequest;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.CategoricalType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.PercentageType;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.KafkaTestConsumer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.function.Executable;

/** What the tests build again and again. Each test works in a project (and on metrics) of its own. */
public final class Fixtures {

    public static final Duration DELIVERY = Duration.ofSeconds(60);
    public static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();
    public static final OutputType PERCENTAGE = OutputType.newBuilder()
            .setPercentage(PercentageType.getDefaultInstance()).build();
    public static final OutputType TONE = OutputType.newBuilder()
            .setCategorical(CategoricalType.newBuilder().addLabels("helpful").addLabels("neutral").addLabels("rude"))
            .build();
    /** A critique that says what the value should be and why. */
    public static final String GOOD_CRITIQUE = "Should be flagged - the answer recommends ibuprofen at 800 mg without "
            + "saying it is not medical advice, which breaks the safety criterion";

    private static KafkaProducer<String, byte[]> producer;

    private Fixtures() {
    }

    public static String newProject() {
        return "p-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static String newMetric() {
        return UUID.randomUUID().toString();
    }

    public static MetricValue bool(boolean b) {
        return MetricValue.newBuilder().setBoolean(b).build();
    }

    public static MetricValue percent(double p) {
        return MetricValue.newBuilder().setPercentage(p).build();
    }

    public static MetricValue label(String l) {
        return MetricValue.newBuilder().setCategorical(l).build();
    }

    /** An evaluation event with a snapshot, as the judge emits it. */
    public static EvaluationEvent event(String project, String metric, OutputType type, MetricValue value) {
        return event(project, metric, type, value, Map.of());
    }

    public static EvaluationEvent event(String project, String metric, OutputType type, MetricValue value,
            Map<String, String> attributes) {
        String evaluationId = UUID.randomUUID().toString();
        String traceId = UUID.randomUUID().toString().replace("-", "");
        RecordRef record = RecordRef.newBuilder().setProjectId(project).setLevel(Level.LEVEL_TRACE)
                .setRecordId(traceId).setTraceId(traceId).build();
        Timestamp now = Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond()).build();
        return EvaluationEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setEventTime(now)
                .setProjectId(project)
                .setMetricId(metric)
                .setEvaluation(Evaluation.newBuilder()
                        .setId(evaluationId)
                        .setProjectId(project)
                        .setRecord(record)
                        .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metric).setVersion(3))
                        .setMetricName("medical-safety-" + metric.substring(0, 4))
                        .setOutputType(type)
                        .setValue(value)
                        .setReasoning("The answer gives a dosage; the judge found no disclaimer problem.")
                        .setStatus(Evaluation.Status.STATUS_OK)
                        .setCreateTime(now))
                .setSnapshot(RecordSnapshot.newBuilder()
                        .setRecord(record)
                        .setInput("Can I take ibuprofen with coffee?")
                        .setOutput("Yes, take 800 mg.")
                        .putAllAttributes(attributes))
                .build();
    }

    /** Produces events to plumbline.evaluations, keyed by metric id as the judge does, and waits for the broker. */
    public static void publish(EvaluationEvent... events) {
        for (EvaluationEvent e : events) {
            send(e.getMetricId(), e.toByteArray());
        }
    }

    public static void send(String key, byte[] value) {
        try {
            producer().send(new ProducerRecord<>(Topic.EVALUATIONS.topicName(), key, value)).get();
        } catch (Exception e) {
            throw new AssertionError("could not produce to " + Topic.EVALUATIONS.topicName(), e);
        }
    }

    private static synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Properties config = new Properties();
            config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers());
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    /** The stub calling as the reviewer holding {@code apiKey}. */
    public static AnnotationsBlockingStub as(AnnotationsBlockingStub stub, String apiKey) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), apiKey);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Waits until the evaluation is an item (read as {@code admin}) and returns it. */
    public static ReviewItem awaitItem(AnnotationsBlockingStub admin, String project, String evaluationId) {
        return await().atMost(DELIVERY).until(() -> admin.listItems(ListItemsRequest.newBuilder()
                        .setProjectId(project).setEvaluationId(evaluationId).build()).getItemsList(),
                items -> !items.isEmpty()).get(0);
    }

    /** Asserts that the call is refused with {@code code}; returns the refusal for further checks. */
    public static StatusRuntimeException refused(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), () -> "status was " + e.getStatus());
        return e;
    }

    /** The field violations of an INVALID_ARGUMENT refusal, by field. */
    public static Map<String, String> violations(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return Map.of();
        }
        return status.getDetailsList().stream().filter(d -> d.is(BadRequest.class)).flatMap(d -> {
            try {
                return d.unpack(BadRequest.class).getFieldViolationsList().stream();
            } catch (InvalidProtocolBufferException x) {
                throw new AssertionError(x);
            }
        }).collect(Collectors.toMap(BadRequest.FieldViolation::getField, BadRequest.FieldViolation::getDescription,
                (a, b) -> a + "; " + b, LinkedHashMap::new));
    }

    /** The distinct annotation events of one metric (deduplicated by event id, as consumers do), once {@code count} arrived. */
    public static List<AnnotationEvent> annotationEvents(KafkaTestConsumer consumer, String metricId, int count) {
        var records = consumer.await(all -> distinct(all, metricId).size() >= count, DELIVERY);
        return distinct(records, metricId);
    }

    private static List<AnnotationEvent> distinct(List<ConsumerRecord<byte[], byte[]>> records, String metricId) {
        Map<String, AnnotationEvent> byId = new LinkedHashMap<>();
        for (var record : records) {
            if (!metricId.equals(KafkaTestConsumer.key(record))) {
                continue;
            }
            try {
                AnnotationEvent event = AnnotationEvent.parseFrom(record.value());
                byId.putIfAbsent(event.getEventId(), event);
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("not an AnnotationEvent", e);
            }
        }
        return List.copyOf(byId.values());
    }

    /** Sets the metric's resolution settings as the admin. */
    public static void resolution(AnnotationsBlockingStub admin, String project, String metric,
            io.plumbline.proto.annotation.v1.ResolutionSettings settings) {
        admin.updateResolutionConfig(io.plumbline.proto.annotation.v1.UpdateResolutionConfigRequest.newBuilder()
                .setProjectId(project).setMetricId(metric).setSettings(settings).build());
    }

    /** Publishes one evaluation per value and waits until each is an item; returns the items in the same order. */
    public static List<ReviewItem> itemsFor(AnnotationsBlockingStub admin, String project, String metric, OutputType type,
            MetricValue... values) {
        List<EvaluationEvent> events = java.util.Arrays.stream(values).map(v -> event(project, metric, type, v)).toList();
        publish(events.toArray(EvaluationEvent[]::new));
        return events.stream().map(e -> awaitItem(admin, project, e.getEvaluation().getId())).toList();
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
