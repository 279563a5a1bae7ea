package io.plumbline.alignment.run;

import io.plumbline.alignment.join.JudgedEvaluation;
import io.plumbline.alignment.join.ResolvedAnnotation;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.alignment.v1.RunSources;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.TimeRange;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/** The resolved annotations a run learns from, each with the evaluation it labels (when that has arrived). */
final class RunRows {

    /** One resolved annotation and the evaluation it labels ({@code evaluation} null when it has not arrived). */
    record Row(ResolvedAnnotation annotation, JudgedEvaluation evaluation) {

        UUID id() {
            return annotation.id;
        }

        boolean usable() {
            return evaluation != null;
        }

        /** The experts disagree with the judge: values differ, or numeric ones lie further apart than the threshold. */
        boolean disagrees(double deltaThreshold) {
            return annotation.numericDelta == null ? !annotation.valuesEqual : annotation.numericDelta > deltaThreshold;
        }

        MetricValue judgeValue() {
            return ProtoJson.parse(annotation.judgeValueJson, MetricValue.getDefaultInstance());
        }

        MetricValue expertValue() {
            return ProtoJson.parse(annotation.expectedValueJson, MetricValue.getDefaultInstance());
        }

        Annotation annotationProto() {
            return ProtoJson.parseBytes(annotation.annotation, Annotation.getDefaultInstance());
        }

        RecordSnapshot snapshot() {
            return ProtoJson.parseBytes(evaluation.snapshot, RecordSnapshot.getDefaultInstance());
        }
    }

    private RunRows() {
    }

    /** The metric's resolved annotations in the project that the sources select (no sources: all of them). */
    static Uni<List<Row>> load(String projectId, UUID metricId, RunSources sources) {
        return Panache.getSession().chain(session -> session.createQuery(
                        "select a, e from ResolvedAnnotation a left join JudgedEvaluation e on e.id = a.evaluationId"
                                + " where a.metricId = :metric and a.projectId = :project order by a.id", Object[].class)
                .setParameter("metric", metricId).setParameter("project", projectId)
                .getResultList())
                .map(rows -> rows.stream()
                        .map(r -> new Row((ResolvedAnnotation) r[0], (JudgedEvaluation) r[1]))
                        .filter(row -> selected(row, sources))
                        .toList());
    }

    /** The rows with these annotation ids, in the given order (rows that vanished are left out). */
    static Uni<List<Row>> byIds(String projectId, UUID metricId, Collection<UUID> ids) {
        return load(projectId, metricId, RunSources.getDefaultInstance()).map(rows -> {
            var byId = rows.stream().collect(Collectors.toMap(Row::id, r -> r));
            return ids.stream().map(byId::get).filter(java.util.Objects::nonNull).toList();
        });
    }

    private static boolean selected(Row row, RunSources sources) {
        boolean any = sources.getEvaluationTimeRangesCount() + sources.getQueueIdsCount()
                + sources.getAnnotationIdsCount() + sources.getEvaluationIdsCount() > 0;
        if (!any) {
            return true;
        }
        if (sources.getAnnotationIdsList().contains(row.annotation.id.toString())
                || sources.getEvaluationIdsList().contains(row.annotation.evaluationId.toString())) {
            return true;
        }
        if (row.evaluation != null) {
            for (TimeRange range : sources.getEvaluationTimeRangesList()) {
                if (within(row.evaluation.evaluatedAt, range)) {
                    return true;
                }
            }
        }
        if (sources.getQueueIdsCount() > 0) {
            Set<String> queues = Set.copyOf(sources.getQueueIdsList());
            return queues.contains(row.annotationProto().getQueueId());
        }
        return false;
    }

    private static boolean within(OffsetDateTime time, TimeRange range) {
        return (!range.hasStartTime() || !time.isBefore(ProtoJson.offsetDateTime(range.getStartTime())))
                && (!range.hasEndTime() || time.isBefore(ProtoJson.offsetDateTime(range.getEndTime())));
    }
}
