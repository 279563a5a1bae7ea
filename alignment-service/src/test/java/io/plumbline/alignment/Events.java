package io.plumbline.alignment;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.testing.KafkaBroker;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Builds and sends the events other services emit, as they would, so the tests drive the consumers through Kafka. */
final class Events implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;

    Events() {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    void send(Topic topic, String key, Message event) {
        send(topic, key, event.toByteArray());
    }

    void send(Topic topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic.topicName(), key, value)).get();
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError("could not send to " + topic.topicName(), e);
        }
    }

    static MetricEvent metric(String project, String metricId, OutputType type, double deltaThreshold) {
        return metric(project, metricId, type, AlignmentPolicy.newBuilder().setDeltaThreshold(deltaThreshold).build(), 1);
    }

    static MetricEvent metric(String project, String metricId, OutputType type, AlignmentPolicy policy,
            int publishedVersion) {
        return MetricEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setEventTime(now())
                .setProjectId(project).setMetricId(metricId).setType(MetricEvent.Type.TYPE_METRIC_CREATED)
                .setMetric(Metric.newBuilder().setId(metricId).setProjectId(project).setName("groundedness")
                        .setLevel(Level.LEVEL_SPAN).setOutputType(type).setPublishedVersion(publishedVersion)
                        .setAlignmentPolicy(policy))
                .build();
    }

    static EvaluationEvent evaluation(String project, String metricId, String evaluationId, OutputType type,
            MetricValue value) {
        return evaluation(project, metricId, 1, evaluationId, type, value);
    }

    static EvaluationEvent evaluation(String project, String metricId, int version, String evaluationId, OutputType type,
            MetricValue value) {
        RecordRef record = RecordRef.newBuilder().setProjectId(project).setLevel(Level.LEVEL_SPAN)
                .setRecordId("trace-" + evaluationId + "/span-1").build();
        return EvaluationEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setEventTime(now())
                .setProjectId(project).setMetricId(metricId)
                .setEvaluation(Evaluation.newBuilder().setId(evaluationId).setProjectId(project).setRecord(record)
                        .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metricId).setVersion(version))
                        .setOutputType(type).setValue(value).setReasoning("The answer cites the refund policy.")
                        .setStatus(Evaluation.Status.STATUS_OK).setCreateTime(now()))
                .setSnapshot(RecordSnapshot.newBuilder().setRecord(record).setInput("Can I get a refund after 40 days?")
                        .setOutput("Yes, refunds are available for 90 days."))
                .build();
    }

    static AnnotationEvent annotation(String project, String metricId, String annotationId, String evaluationId,
            MetricValue judge, MetricValue expected, int revision) {
        return annotation(project, metricId, 1, annotationId, evaluationId, judge, expected, revision);
    }

    static AnnotationEvent annotation(String project, String metricId, int version, String annotationId,
            String evaluationId, MetricValue judge, MetricValue expected, int revision) {
        return AnnotationEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setEventTime(now())
                .setProjectId(project).setMetricId(metricId).setAnnotationId(annotationId)
                .setType(revision == 1 ? AnnotationEvent.Type.TYPE_RESOLVED : AnnotationEvent.Type.TYPE_RESOLUTION_CHANGED)
                .setAnnotation(Annotation.newBuilder().setId(annotationId).setProjectId(project)
                        .setEvaluationId(evaluationId)
                        .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metricId).setVersion(version))
                        .setJudgeValue(judge).setJudgeReasoning("The answer cites the refund policy.")
                        .setExpectedValue(expected).setJudgeCorrect(judge.equals(expected))
                        .addCritiques(Critique.newBuilder().setReviewerId("dana").setVerdict(Verdict.VERDICT_INCORRECT)
                                .setValue(expected).setCritique("The policy allows 30 days, not 90: the answer "
                                        + "contradicts the retrieved policy document, so it is not grounded."))
                        .addReviewerIds("dana").setRevision(revision).setResolveTime(now()).setUpdateTime(now()))
                .build();
    }

    static MetricValue bool(boolean b) {
        return MetricValue.newBuilder().setBoolean(b).build();
    }

    static MetricValue percentage(double p) {
        return MetricValue.newBuilder().setPercentage(p).build();
    }

    static String id() {
        return UUID.randomUUID().toString();
    }

    private static Timestamp now() {
        Instant now = Instant.now();
        return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    }

    @Override
    public void close() {
        producer.close();
    }
}
