package io.plumbline.judge.recompute;

import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.Violations;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.judge.judging.JudgeModel;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecomputeScope;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.VersionContent;
import java.util.UUID;

/** A recompute's scope checked and resolved: the metric, the version that judges (0 resolved), and its judge. */
record RecomputeTarget(String projectId, Metric metric, MetricVersion version, RecomputeScope scope) {

    /** Most record ids of an explicit list (and most records a time range may select). */
    static final int MAX_RECORDS = 100_000;

    Level level() {
        return metric.getLevel();
    }

    /** The judge of a job (its evaluations carry the job's id), or of an estimate (no job yet). */
    JudgeModel.Judge judge(String jobId) {
        return new JudgeModel.Judge(projectId, MetricVersionRef.newBuilder().setMetricId(metric.getId())
                .setVersion(version.getVersion()).build(), metric.getName(), metric.getOutputType(),
                VersionContent.newBuilder().setPromptTemplate(version.getPromptTemplate())
                        .addAllGuidelines(version.getGuidelinesList()).addAllExamples(version.getExamplesList()).build(),
                metric.getJudgeModel(), Evaluation.Origin.ORIGIN_RECOMPUTE, "", jobId);
    }

    /** Checks the request's project and scope (every rule at once), then resolves the metric and version. */
    static RecomputeTarget resolve(String projectId, RecomputeScope scope, MetricCatalog catalog, Violations v) {
        v.requireText(projectId, "project_id", 64);
        if (!scope.hasMetricVersion() || scope.getMetricVersion().getMetricId().isEmpty()) {
            v.add("scope.metric_version.metric_id", "is required");
        } else {
            try {
                UUID.fromString(scope.getMetricVersion().getMetricId());
            } catch (IllegalArgumentException e) {
                v.add("scope.metric_version.metric_id", "must be a UUID (was \"" + scope.getMetricVersion().getMetricId()
                        + "\")");
            }
        }
        v.check(scope.getMetricVersion().getVersion() < 0, "scope.metric_version.version",
                "must be 0 (the published one) or a version number");
        switch (scope.getSelectionCase()) {
            case TIME_RANGE -> {
                var range = scope.getTimeRange();
                v.check(!range.hasStartTime(), "scope.time_range.start_time", "is required");
                v.check(!range.hasEndTime(), "scope.time_range.end_time", "is required");
                if (range.hasStartTime() && range.hasEndTime()) {
                    var start = range.getStartTime();
                    var end = range.getEndTime();
                    v.check(start.getSeconds() > end.getSeconds() || (start.getSeconds() == end.getSeconds()
                            && start.getNanos() >= end.getNanos()), "scope.time_range", "start_time must be before end_time");
                }
            }
            case RECORDS -> {
                int count = scope.getRecords().getRecordIdsCount();
                v.check(count < 1 || count > MAX_RECORDS, "scope.records.record_ids",
                        "must hold 1 to " + MAX_RECORDS + " record ids (has " + count + ")");
                for (int i = 0; i < Math.min(count, MAX_RECORDS); i++) {
                    String id = scope.getRecords().getRecordIds(i);
                    if (id.isBlank() || id.length() > 512) {
                        v.add("scope.records.record_ids[" + i + "]", "must be a record id of 1 to 512 characters");
                        break;
                    }
                }
            }
            case SELECTION_NOT_SET -> v.add("scope.selection", "is required: a time_range or records");
        }
        v.throwIfAny();
        if (!catalog.isLoaded()) {
            throw ApiException.unavailable("the judge has not loaded its metric catalog from the metric-registry yet; "
                    + "retry shortly");
        }
        MetricVersionRef ref = scope.getMetricVersion();
        Metric metric = catalog.metric(projectId, ref.getMetricId()).orElseThrow(() -> ApiException.notFound(
                "metric " + ref.getMetricId() + " of project \"" + projectId + "\" is not known to the judge"));
        if (metric.getArchived()) {
            throw ApiException.failedPrecondition("metric " + metric.getName() + " is archived: it judges nothing more");
        }
        MetricVersion version = catalog.version(metric, ref.getVersion()).orElseThrow(() -> ApiException.notFound(
                "metric " + metric.getName() + " has no version " + (ref.getVersion() == 0 ? "published" : ref.getVersion())
                        + " known to the judge"));
        RecomputeScope resolved = scope.toBuilder().setMetricVersion(ref.toBuilder().setVersion(version.getVersion()))
                .build();
        return new RecomputeTarget(projectId, metric, version, resolved);
    }
}
