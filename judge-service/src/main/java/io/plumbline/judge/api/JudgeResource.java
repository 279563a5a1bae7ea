package io.plumbline.judge.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.common.api.ApiException;
import io.plumbline.judge.budget.Budgets;
import io.plumbline.judge.evaluation.EvaluationStore;
import io.plumbline.judge.judging.EvaluateService;
import io.plumbline.judge.recompute.RecomputeJobs;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.common.v1.TimeRange;
import io.plumbline.proto.judge.v1.BatchGetEvaluationsRequest;
import io.plumbline.proto.judge.v1.BatchGetEvaluationsResponse;
import io.plumbline.proto.judge.v1.CancelRecomputeJobRequest;
import io.plumbline.proto.judge.v1.EstimateRecomputeRequest;
import io.plumbline.proto.judge.v1.GetRecomputeJobRequest;
import io.plumbline.proto.judge.v1.ListRecomputeJobsRequest;
import io.plumbline.proto.judge.v1.ListRecomputeJobsResponse;
import io.plumbline.proto.judge.v1.RecomputeEstimate;
import io.plumbline.proto.judge.v1.RecomputeJob;
import io.plumbline.proto.judge.v1.StartRecomputeRequest;
import java.time.OffsetDateTime;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.EvaluateResponse;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.GetEvaluationRequest;
import io.plumbline.proto.judge.v1.GetRecordSnapshotRequest;
import io.plumbline.proto.judge.v1.ListBudgetUsageRequest;
import io.plumbline.proto.judge.v1.ListBudgetUsageResponse;
import io.plumbline.proto.judge.v1.ListEvaluationsRequest;
import io.plumbline.proto.judge.v1.ListEvaluationsResponse;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * The REST twins of the {@code Judge} rpcs, with the gRPC API's semantics: bodies are the same messages in
 * the proto3 JSON mapping; the project in the path wins over the body's; refusals are problem bodies with the mirrored
 * status (400, 404, ...), through common's exception mapper.
 */
@Path("/api/v1/projects/{project}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class JudgeResource {

    private final EvaluateService evaluate;
    private final EvaluationStore evaluations;
    private final Budgets budgets;
    private final RecomputeJobs recompute;

    JudgeResource(EvaluateService evaluate, EvaluationStore evaluations, Budgets budgets, RecomputeJobs recompute) {
        this.evaluate = evaluate;
        this.evaluations = evaluations;
        this.budgets = budgets;
        this.recompute = recompute;
    }

    /** Evaluate: judges the items and answers once every item is done. */
    @POST
    @Path("/evaluate")
    public Uni<EvaluateResponse> evaluate(@PathParam("project") String project, EvaluateRequest body) {
        return call(() -> evaluate.evaluate(body.toBuilder().setProjectId(project).build()));
    }

    @GET
    @Path("/evaluations/{evaluation}")
    public Uni<Evaluation> get(@PathParam("project") String project, @PathParam("evaluation") String evaluation) {
        return call(() -> evaluations.get(GetEvaluationRequest.newBuilder().setProjectId(project)
                .setEvaluationId(evaluation).build()));
    }

    @GET
    @Path("/evaluations/{evaluation}/snapshot")
    public Uni<RecordSnapshot> snapshot(@PathParam("project") String project, @PathParam("evaluation") String evaluation) {
        return call(() -> evaluations.snapshot(GetRecordSnapshotRequest.newBuilder().setProjectId(project)
                .setEvaluationId(evaluation).build()));
    }

    /** BatchGetEvaluations: the ids (1-1000) in the body, as the message's JSON. */
    @POST
    @Path("/evaluations/batch-get")
    public Uni<BatchGetEvaluationsResponse> batchGet(@PathParam("project") String project,
            BatchGetEvaluationsRequest body) {
        return call(() -> evaluations.batchGet(orDefault(body, BatchGetEvaluationsRequest.getDefaultInstance())
                .toBuilder().setProjectId(project).build()));
    }

    /** ListEvaluations; repeated filters as repeated query parameters, times as RFC 3339. */
    @GET
    @Path("/evaluations")
    public Uni<ListEvaluationsResponse> list(@PathParam("project") String project,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken,
            @QueryParam("metricId") @DefaultValue("") String metricId,
            @QueryParam("metricVersion") @DefaultValue("0") int metricVersion,
            @QueryParam("level") @DefaultValue("LEVEL_UNSPECIFIED") String level,
            @QueryParam("recordId") @DefaultValue("") String recordId,
            @QueryParam("sessionId") @DefaultValue("") String sessionId,
            @QueryParam("traceId") @DefaultValue("") String traceId,
            @QueryParam("statuses") List<String> statuses,
            @QueryParam("origins") List<String> origins,
            @QueryParam("recomputeJobId") @DefaultValue("") String recomputeJobId,
            @QueryParam("recordTime.startTime") @DefaultValue("") String recordFrom,
            @QueryParam("recordTime.endTime") @DefaultValue("") String recordTo,
            @QueryParam("createTime.startTime") @DefaultValue("") String createdFrom,
            @QueryParam("createTime.endTime") @DefaultValue("") String createdTo) {
        return call(() -> {
            var request = ListEvaluationsRequest.newBuilder().setProjectId(project).setPageSize(pageSize)
                    .setPageToken(pageToken).setMetricId(metricId).setMetricVersion(metricVersion)
                    .setLevel(enumValue(Level.class, level, "level")).setRecordId(recordId).setSessionId(sessionId)
                    .setTraceId(traceId).setRecomputeJobId(recomputeJobId)
                    .setRecordTime(timeRange(recordFrom, recordTo, "recordTime"))
                    .setCreateTime(timeRange(createdFrom, createdTo, "createTime"));
            statuses.forEach(s -> request.addStatuses(enumValue(Evaluation.Status.class, s, "statuses")));
            origins.forEach(o -> request.addOrigins(enumValue(Evaluation.Origin.class, o, "origins")));
            return evaluations.list(request.build());
        });
    }

    @GET
    @Path("/budget-usage")
    public Uni<ListBudgetUsageResponse> budgetUsage(@PathParam("project") String project,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken,
            @QueryParam("metricId") @DefaultValue("") String metricId,
            @QueryParam("date") @DefaultValue("") String date,
            @QueryParam("exhaustedOnly") @DefaultValue("false") boolean exhaustedOnly) {
        return call(() -> budgets.usage(ListBudgetUsageRequest.newBuilder().setProjectId(project).setPageSize(pageSize)
                .setPageToken(pageToken).setMetricId(metricId).setDate(date).setExhaustedOnly(exhaustedOnly).build()));
    }

    /** EstimateRecompute: the request's JSON (its scope) in the body. */
    @POST
    @Path("/recompute-jobs/estimate")
    public Uni<RecomputeEstimate> estimateRecompute(@PathParam("project") String project,
            EstimateRecomputeRequest body) {
        return call(() -> recompute.estimate(orDefault(body, EstimateRecomputeRequest.getDefaultInstance()).toBuilder()
                .setProjectId(project).build()));
    }

    /** StartRecompute (idempotent on requestId). */
    @POST
    @Path("/recompute-jobs")
    public Uni<RecomputeJob> startRecompute(@PathParam("project") String project, StartRecomputeRequest body) {
        return call(() -> recompute.start(orDefault(body, StartRecomputeRequest.getDefaultInstance()).toBuilder()
                .setProjectId(project).build()));
    }

    /** ListRecomputeJobs, newest first. */
    @GET
    @Path("/recompute-jobs")
    public Uni<ListRecomputeJobsResponse> listRecomputeJobs(@PathParam("project") String project,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken,
            @QueryParam("metricId") @DefaultValue("") String metricId,
            @QueryParam("statuses") List<String> statuses) {
        return call(() -> {
            var request = ListRecomputeJobsRequest.newBuilder().setProjectId(project).setPageSize(pageSize)
                    .setPageToken(pageToken).setMetricId(metricId);
            statuses.forEach(s -> request.addStatuses(enumValue(RecomputeJob.Status.class, s, "statuses")));
            return recompute.list(request.build());
        });
    }

    @GET
    @Path("/recompute-jobs/{job}")
    public Uni<RecomputeJob> getRecomputeJob(@PathParam("project") String project, @PathParam("job") String job) {
        return call(() -> recompute.get(GetRecomputeJobRequest.newBuilder().setProjectId(project).setJobId(job).build()));
    }

    /** CancelRecomputeJob (idempotent: a finished job is returned unchanged); the body may name cancelledBy. */
    @POST
    @Path("/recompute-jobs/{job}/cancel")
    public Uni<RecomputeJob> cancelRecomputeJob(@PathParam("project") String project, @PathParam("job") String job,
            CancelRecomputeJobRequest body) {
        return call(() -> recompute.cancel(orDefault(body, CancelRecomputeJobRequest.getDefaultInstance()).toBuilder()
                .setProjectId(project).setJobId(job).build()));
    }

    private static <T> T orDefault(T body, T empty) {
        return body == null ? empty : body;
    }

    private static TimeRange timeRange(String from, String to, String field) {
        var range = TimeRange.newBuilder();
        if (!from.isEmpty()) {
            range.setStartTime(instant(from, field + ".startTime"));
        }
        if (!to.isEmpty()) {
            range.setEndTime(instant(to, field + ".endTime"));
        }
        return range.build();
    }

    private static com.google.protobuf.Timestamp instant(String text, String field) {
        try {
            return ProtoJson.timestamp(OffsetDateTime.parse(text));
        } catch (java.time.format.DateTimeParseException e) {
            throw ApiException.invalid(field, "must be an RFC 3339 time such as 2026-11-30T12:00:00Z (was \"" + text + "\")");
        }
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String name, String field) {
        try {
            if (!name.equals("UNRECOGNIZED")) {
                return Enum.valueOf(type, name);
            }
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw ApiException.invalid(field, "is not a " + type.getSimpleName() + " name (was \"" + name + "\")");
    }
}
