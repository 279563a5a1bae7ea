package io.plumbline.judge.recompute;

import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.Violations;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.proto.judge.v1.CancelRecomputeJobRequest;
import io.plumbline.proto.judge.v1.EstimateRecomputeRequest;
import io.plumbline.proto.judge.v1.GetRecomputeJobRequest;
import io.plumbline.proto.judge.v1.ListRecomputeJobsRequest;
import io.plumbline.proto.judge.v1.ListRecomputeJobsResponse;
import io.plumbline.proto.judge.v1.RecomputeEstimate;
import io.plumbline.proto.judge.v1.RecomputeJob;
import io.plumbline.proto.judge.v1.RecomputeScope;
import io.plumbline.proto.judge.v1.StartRecomputeRequest;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The recompute rpcs: estimate, start (idempotent on request_id, refused over its cost cap), get, list and cancel.
 * A started job is a row of {@code recompute_job} with its records fixed in {@code recompute_item}; the
 * {@link RecomputeRunner} of any replica runs it. Cancelling is idempotent: a finished job is returned unchanged.
 */
@ApplicationScoped
public class RecomputeJobs {

    static final String COLUMNS = """
            id, project_id, metric_id, metric_version, request_id, status, scope, estimate, total, succeeded, errored,
            skipped, missing, prompt_tokens, completion_tokens, cost_usd, max_cost_usd, error, requested_by,
            cancelled_by, created_at, started_at, finished_at""";

    private final Pool pool;
    private final MetricCatalog catalog;
    private final RecomputeEstimator estimator;
    private final RecomputeRunner runner;

    RecomputeJobs(Pool pool, MetricCatalog catalog, RecomputeEstimator estimator, RecomputeRunner runner) {
        this.pool = pool;
        this.catalog = catalog;
        this.estimator = estimator;
        this.runner = runner;
    }

    public Uni<RecomputeEstimate> estimate(EstimateRecomputeRequest request) {
        RecomputeTarget target = RecomputeTarget.resolve(request.getProjectId(), request.getScope(), catalog,
                new Violations());
        return estimator.select(target).chain(ids -> estimator.estimate(target, ids));
    }

    public Uni<RecomputeJob> start(StartRecomputeRequest request) {
        Violations v = new Violations();
        v.check(!Double.isFinite(request.getMaxCostUsd()) || request.getMaxCostUsd() < 0, "max_cost_usd",
                "must be 0 (no cap) or a positive number of US dollars");
        v.limitText(request.getRequestId(), "request_id", 128);
        v.limitText(request.getRequestedBy(), "requested_by", 256);
        RecomputeTarget target = RecomputeTarget.resolve(request.getProjectId(), request.getScope(), catalog, v);
        Uni<RecomputeJob> earlier = request.getRequestId().isEmpty() ? Uni.createFrom().nullItem()
                : byRequestId(request.getProjectId(), request.getRequestId());
        return earlier.chain(job -> job != null ? Uni.createFrom().item(job) : estimator.select(target)
                .chain(ids -> estimator.estimate(target, ids).chain(estimate -> {
                    if (request.getMaxCostUsd() > 0 && estimate.getEstimatedCostUsd() > request.getMaxCostUsd()) {
                        throw ApiException.failedPrecondition(String.format(java.util.Locale.ROOT,
                                "the estimated cost of %.6f USD (%d records to judge) exceeds max_cost_usd %.6f USD",
                                estimate.getEstimatedCostUsd(), estimate.getToJudge(), request.getMaxCostUsd()));
                    }
                    return insert(request, target.scope(), estimate, ids);
                })))
                .invoke(job -> runner.wake());
    }

    private Uni<RecomputeJob> insert(StartRecomputeRequest request, RecomputeScope scope, RecomputeEstimate estimate,
            List<String> ids) {
        UUID id = UUID.randomUUID();
        Integer[] positions = new Integer[ids.size()];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        return pool.withTransaction(connection -> connection.preparedQuery("""
                                insert into recompute_job (id, project_id, metric_id, metric_version, request_id, status,
                                    scope, estimate, total, max_cost_usd, requested_by, created_at)
                                values ($1, $2, $3, $4, $5, 'STATUS_PENDING', $6, $7, $8, $9, $10, now())
                                on conflict (project_id, request_id) where request_id <> '' do nothing""")
                        .execute(Tuple.from(List.<Object>of(id, request.getProjectId(),
                                UUID.fromString(scope.getMetricVersion().getMetricId()),
                                scope.getMetricVersion().getVersion(), request.getRequestId(),
                                Buffer.buffer(scope.toByteArray()), Buffer.buffer(estimate.toByteArray()),
                                (long) ids.size(), request.getMaxCostUsd(), request.getRequestedBy())))
                        .chain(inserted -> inserted.rowCount() == 0 ? Uni.createFrom().item(false)
                                : connection.preparedQuery("""
                                                insert into recompute_item (job_id, position, record_id)
                                                select $1, * from unnest($2::integer[], $3::text[])""")
                                        .execute(Tuple.of(id, positions, ids.toArray(String[]::new)))
                                        .replaceWith(true)))
                // a concurrent call with the same request_id won: its job is the answer
                .chain(inserted -> inserted ? get(request.getProjectId(), id)
                        : byRequestId(request.getProjectId(), request.getRequestId()));
    }

    public Uni<RecomputeJob> get(GetRecomputeJobRequest request) {
        return get(request.getProjectId(), jobId(request.getJobId()));
    }

    Uni<RecomputeJob> get(String projectId, UUID id) {
        return pool.preparedQuery("select " + COLUMNS + " from recompute_job where id = $1 and project_id = $2")
                .execute(Tuple.of(id, projectId))
                .map(rows -> {
                    if (rows.size() == 0) {
                        throw ApiException.notFound("recompute job " + id + " does not exist in project \"" + projectId
                                + "\"");
                    }
                    return job(rows.iterator().next());
                });
    }

    private Uni<RecomputeJob> byRequestId(String projectId, String requestId) {
        return pool.preparedQuery("select " + COLUMNS + " from recompute_job where project_id = $1 and request_id = $2")
                .execute(Tuple.of(projectId, requestId))
                .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
    }

    /** Newest first. */
    public Uni<ListRecomputeJobsResponse> list(ListRecomputeJobsRequest request) {
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        String after = PageToken.decode(request.getPageToken());
        StringBuilder where = new StringBuilder("project_id = $1");
        List<Object> params = new ArrayList<>();
        params.add(request.getProjectId());
        if (!request.getMetricId().isEmpty()) {
            try {
                params.add(UUID.fromString(request.getMetricId()));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("metric_id", "must be a UUID (was \"" + request.getMetricId() + "\")");
            }
            where.append(" and metric_id = $").append(params.size());
        }
        if (!request.getStatusesList().isEmpty()) {
            for (int i = 0; i < request.getStatusesCount(); i++) {
                var status = request.getStatuses(i);
                if (status == RecomputeJob.Status.STATUS_UNSPECIFIED || status == RecomputeJob.Status.UNRECOGNIZED) {
                    throw ApiException.invalid("statuses[" + i + "]", "must be a job status");
                }
            }
            params.add(request.getStatusesList().stream().map(Enum::name).toArray(String[]::new));
            where.append(" and status = any($").append(params.size()).append(")");
        }
        if (after != null) {
            int bar = after.indexOf('|');
            try {
                params.add(OffsetDateTime.parse(after.substring(0, bar)));
                params.add(UUID.fromString(after.substring(bar + 1)));
            } catch (RuntimeException e) {
                throw ApiException.invalid("page_token", "is not a token returned by this API");
            }
            int t = params.size() - 1;
            where.append(" and (created_at < $").append(t).append(" or (created_at = $").append(t)
                    .append(" and id < $").append(t + 1).append("))");
        }
        params.add(size + 1);
        return pool.preparedQuery("select " + COLUMNS + " from recompute_job where " + where
                        + " order by created_at desc, id desc limit $" + params.size())
                .execute(Tuple.from(params))
                .map(rows -> {
                    var response = ListRecomputeJobsResponse.newBuilder();
                    List<Row> all = new ArrayList<>();
                    rows.forEach(all::add);
                    all.stream().limit(size).forEach(row -> response.addJobs(job(row)));
                    if (all.size() > size) {
                        Row last = all.get(size - 1);
                        response.setNextPageToken(PageToken.encode(last.getOffsetDateTime("created_at") + "|"
                                + last.getUUID("id")));
                    }
                    return response.build();
                });
    }

    /** Cancels a pending or running job; a finished one is returned unchanged. */
    public Uni<RecomputeJob> cancel(CancelRecomputeJobRequest request) {
        UUID id = jobId(request.getJobId());
        Violations v = new Violations();
        v.limitText(request.getCancelledBy(), "cancelled_by", 256);
        v.throwIfAny();
        return pool.preparedQuery("""
                        update recompute_job set status = 'STATUS_CANCELLED', cancelled_by = $3, finished_at = now(),
                            claimed_by = null, claimed_until = null
                        where id = $1 and project_id = $2 and status in ('STATUS_PENDING', 'STATUS_RUNNING')
                        returning id""")
                .execute(Tuple.of(id, request.getProjectId(), request.getCancelledBy()))
                .invoke((RowSet<Row> rows) -> {
                    if (rows.rowCount() > 0) {
                        runner.stopHere(id); // on this replica at once; on another within its poll interval
                    }
                })
                .chain(() -> get(request.getProjectId(), id));
    }

    private static UUID jobId(String value) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("job_id", "must be a UUID (was \"" + value + "\")");
        }
    }

    static RecomputeJob job(Row row) {
        long succeeded = row.getLong("succeeded");
        long errored = row.getLong("errored");
        long skipped = row.getLong("skipped");
        long missing = row.getLong("missing");
        var job = RecomputeJob.newBuilder().setId(row.getUUID("id").toString()).setProjectId(row.getString("project_id"))
                .setScope(ProtoJson.parseBytes(row.getBuffer("scope").getBytes(), RecomputeScope.getDefaultInstance()))
                .setStatus(RecomputeJob.Status.valueOf(row.getString("status")))
                .setEstimate(ProtoJson.parseBytes(row.getBuffer("estimate").getBytes(),
                        RecomputeEstimate.getDefaultInstance()))
                .setTotal(row.getLong("total")).setProcessed(succeeded + errored + skipped + missing)
                .setSucceeded(succeeded).setErrored(errored).setSkipped(skipped).setMissing(missing)
                .setPromptTokens(row.getLong("prompt_tokens")).setCompletionTokens(row.getLong("completion_tokens"))
                .setCostUsd(row.getDouble("cost_usd")).setMaxCostUsd(row.getDouble("max_cost_usd"))
                .setError(row.getString("error")).setRequestId(row.getString("request_id"))
                .setRequestedBy(row.getString("requested_by")).setCancelledBy(row.getString("cancelled_by"))
                .setCreateTime(ProtoJson.timestamp(row.getOffsetDateTime("created_at")));
        if (row.getOffsetDateTime("started_at") != null) {
            job.setStartTime(ProtoJson.timestamp(row.getOffsetDateTime("started_at")));
        }
        if (row.getOffsetDateTime("finished_at") != null) {
            job.setFinishTime(ProtoJson.timestamp(row.getOffsetDateTime("finished_at")));
        }
        return job.build();
    }
}
