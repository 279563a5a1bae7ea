package io.plumbline.alignment.join;

import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.kafka.ConsumerTransactions;
import io.plumbline.common.kafka.UnprocessableRecord;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.OptionalDouble;
import java.util.UUID;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Keeps the three inputs of alignment as they arrive: metric settings, judged evaluations and resolved annotations.
 * Each side is stored on its own, so the join (a resolved annotation with the evaluation it labels) holds whichever
 * side arrives first, survives restarts, and tolerates redelivery: evaluations are written once, annotations and
 * settings only move forward (newer revision, newer event).
 *
 * <p>A record that does not decode, or lacks the ids to join on, fails with {@link UnprocessableRecord}: SmallRye
 * sends it to the topic's dead-letter twin with the reason in its headers, and the consumer goes on. Transient
 * failures (the database is down) are retried in place by {@link ConsumerTransactions}.
 */
@ApplicationScoped
public class JoinIntake {

    private final ConsumerTransactions transactions;

    JoinIntake(ConsumerTransactions transactions) {
        this.transactions = transactions;
    }


    @Incoming("metrics")
    public Uni<Void> onMetricEvent(byte[] payload) {
        MetricEvent event = UnprocessableRecord.decode(payload, MetricEvent.parser(), "plumbline.registry.v1.MetricEvent");
        UUID metricId = uuid(event.getMetricId(), "metric_id");
        if (!event.hasMetric()) {
            throw new UnprocessableRecord("MetricEvent " + event.getEventId() + " carries no metric");
        }
        var metric = event.getMetric();
        var eventTime = ProtoJson.offsetDateTime(event.getEventTime());
        return transactions.process("metrics", () -> MetricSettings.<MetricSettings>findById(metricId).chain(existing -> {
            if (existing != null && existing.eventTime.isAfter(eventTime)) {
                return Uni.createFrom().voidItem();
            }
            MetricSettings settings = existing != null ? existing : new MetricSettings();
            settings.metricId = metricId;
            settings.projectId = metric.getProjectId();
            settings.name = metric.getName();
            settings.outputTypeJson = ProtoJson.print(metric.getOutputType());
            settings.alignmentPolicyJson = ProtoJson.print(metric.getAlignmentPolicy());
            settings.publishedVersion = metric.getPublishedVersion();
            settings.builtin = metric.getBuiltin();
            settings.eventTime = eventTime;
            return existing != null ? Uni.createFrom().voidItem() : settings.persist().replaceWithVoid();
        }));
    }

    @Incoming("evaluations")
    public Uni<Void> onEvaluation(byte[] payload) {
        EvaluationEvent event = UnprocessableRecord.decode(payload, EvaluationEvent.parser(), "plumbline.judge.v1.EvaluationEvent");
        Evaluation evaluation = event.getEvaluation();
        UUID id = uuid(evaluation.getId(), "evaluation.id");
        UUID metricId = uuid(evaluation.getMetricVersion().getMetricId(), "evaluation.metric_version.metric_id");
        if (evaluation.getStatus() != Evaluation.Status.STATUS_OK) {
            return Uni.createFrom().voidItem(); // no value to agree or disagree with
        }
        return transactions.process("evaluations", () -> JudgedEvaluation.<JudgedEvaluation>findById(id).chain(existing -> {
            if (existing != null) {
                return Uni.createFrom().voidItem();
            }
            JudgedEvaluation judged = new JudgedEvaluation();
            judged.id = id;
            judged.projectId = evaluation.getProjectId();
            judged.metricId = metricId;
            judged.metricVersion = evaluation.getMetricVersion().getVersion();
            judged.recordJson = ProtoJson.print(evaluation.getRecord());
            judged.outputTypeJson = ProtoJson.print(evaluation.getOutputType());
            judged.valueJson = ProtoJson.print(evaluation.getValue());
            judged.reasoning = evaluation.getReasoning();
            judged.snapshot = event.getSnapshot().toByteArray();
            judged.evaluatedAt = ProtoJson.offsetDateTime(evaluation.getCreateTime());
            return judged.persist().replaceWithVoid();
        }));
    }

    @Incoming("annotations")
    public Uni<Void> onAnnotation(byte[] payload) {
        AnnotationEvent event = UnprocessableRecord.decode(payload, AnnotationEvent.parser(), "plumbline.annotation.v1.AnnotationEvent");
        Annotation annotation = event.getAnnotation();
        UUID id = uuid(annotation.getId(), "annotation.id");
        UUID evaluationId = uuid(annotation.getEvaluationId(), "annotation.evaluation_id");
        UUID metricId = uuid(annotation.getMetricVersion().getMetricId(), "annotation.metric_version.metric_id");
        requireValue(annotation.getJudgeValue(), "annotation.judge_value");
        requireValue(annotation.getExpectedValue(), "annotation.expected_value");
        return transactions.process("annotations", () -> ResolvedAnnotation.<ResolvedAnnotation>findById(id).chain(existing -> {
            if (existing != null && existing.revision >= annotation.getRevision()) {
                return Uni.createFrom().voidItem(); // a redelivery, or an older revision arriving late
            }
            ResolvedAnnotation resolved = existing != null ? existing : new ResolvedAnnotation();
            resolved.id = id;
            resolved.projectId = annotation.getProjectId();
            resolved.evaluationId = evaluationId;
            resolved.metricId = metricId;
            resolved.metricVersion = annotation.getMetricVersion().getVersion();
            resolved.judgeValueJson = ProtoJson.print(annotation.getJudgeValue());
            resolved.judgeReasoning = annotation.getJudgeReasoning();
            resolved.expectedValueJson = ProtoJson.print(annotation.getExpectedValue());
            resolved.annotation = annotation.toByteArray();
            OptionalDouble judge = OutputTypes.numeric(annotation.getJudgeValue());
            OptionalDouble expected = OutputTypes.numeric(annotation.getExpectedValue());
            resolved.numericDelta = judge.isPresent() && expected.isPresent()
                    ? Math.abs(judge.getAsDouble() - expected.getAsDouble()) : null;
            resolved.valuesEqual = annotation.getJudgeValue().equals(annotation.getExpectedValue());
            resolved.revision = annotation.getRevision();
            resolved.resolvedAt = ProtoJson.offsetDateTime(annotation.getResolveTime());
            resolved.updatedAt = ProtoJson.offsetDateTime(annotation.getUpdateTime());
            return existing != null ? Uni.createFrom().voidItem() : resolved.persist().replaceWithVoid();
        }));
    }

    private static UUID uuid(String value, String field) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new UnprocessableRecord(field + " must be a UUID (was \"" + value + "\")");
        }
    }

    private static void requireValue(MetricValue value, String field) {
        if (value.getValueCase() == MetricValue.ValueCase.VALUE_NOT_SET) {
            throw new UnprocessableRecord(field + " is missing");
        }
    }

}
