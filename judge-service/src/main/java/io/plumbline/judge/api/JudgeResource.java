package io.plumbline.judge.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.common.api.ApiException;
import io.plumbline.judge.budget.Budgets;
import io.plumbline.judge.evaluation.EvaluationStore;
import io.plumbline.judge.judging.EvaluateService;
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
 * The REST twins of the {@code Judge} rpcs built so far, with the gRPC API's semantics: bodies are the same messages in
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

    JudgeResource(EvaluateService evaluate, EvaluationStore evaluations, Budgets budgets) {
        this.evaluate = evaluate;
        this.evaluations = evaluations;
        this.budgets = budgets;
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

    /** ListEvaluations; repeated filters as repeated query parameters. */
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
            @QueryParam("origins") List<String> origins) {
        return call(() -> {
            var request = ListEvaluationsRequest.newBuilder().setProjectId(project).setPageSize(pageSize)
                    .setPageToken(pageToken).setMetricId(metricId).setMetricVersion(metricVersion)
                    .setLevel(enumValue(Level.class, level, "level")).setRecordId(recordId).setSessionId(sessionId)
                    .setTraceId(traceId);
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
