package io.plumbline.judge.recompute;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.llm.LlmCallFailed;
import io.plumbline.judge.budget.Budgets;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.judge.evaluation.EvaluationStore;
import io.plumbline.judge.evaluation.StoredSnapshots;
import io.plumbline.judge.judging.JudgeModel;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecomputeJob;
import io.plumbline.proto.judge.v1.RecomputeScope;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Runs recompute jobs, on any replica, durably:
 * <ul>
 * <li>a replica with room claims the oldest pending or running job whose lease ran out ({@code FOR UPDATE SKIP
 * LOCKED}, then a lease of {@code plumbline.recompute.lease}), and renews the lease every
 * {@code plumbline.recompute.poll-interval} while it runs it; a job whose replica stopped or died is resumed by the next
 * claim with its records not yet processed;</li>
 * <li>records are processed in position order, {@code plumbline.recompute.concurrency} at a time: a record without a
 * stored snapshot is counted missing; one whose newest snapshot this version already judged is skipped; the others are
 * judged ({@link JudgeModel}, retried with backoff while the provider is unavailable) and stored
 * ({@link EvaluationStore}: idempotent, emitted through the outbox), origin RECOMPUTE with the job's id. Each record's
 * outcome, the job's counters and the metric's usage (ListBudgetUsage, binding name "recompute": counted, never
 * stopped by a budget) are written in one transaction;</li>
 * <li>a stopped job (cancelled, cost cap reached, its lease lost) starts no provider call after the stop is seen: at
 * once when it is cancelled on this replica, within the poll interval when on another one. Judgments already in flight
 * finish and are stored and counted;</li>
 * <li>the cost cap: once the job's spent cost reaches {@code max_cost_usd} it fails ("cost cap reached"); judgments in
 * flight then still finish (an overshoot of at most the concurrency minus one judgment).</li>
 * </ul>
 */
@ApplicationScoped
public class RecomputeRunner {

    private static final Logger LOG = Logger.getLogger(RecomputeRunner.class);
    static final List<RecomputeJob.Status> STATUSES = List.of(RecomputeJob.Status.STATUS_PENDING,
            RecomputeJob.Status.STATUS_RUNNING, RecomputeJob.Status.STATUS_SUCCEEDED, RecomputeJob.Status.STATUS_FAILED,
            RecomputeJob.Status.STATUS_CANCELLED);

    /** Recompute jobs' usage shows in ListBudgetUsage under this name; no budget stops them (max_cost_usd caps them). */
    static final Binding RECOMPUTE_USAGE = Binding.newBuilder().setName("recompute").build();

    private final Pool pool;
    private final Budgets budgets;
    private final MetricCatalog catalog;
    private final StoredSnapshots snapshots;
    private final JudgeModel judgeModel;
    private final EvaluationStore store;
    private final RecomputeConfig config;
    private final MeterRegistry meters;
    private final Vertx vertx;
    private final String replica = UUID.randomUUID().toString();
    private final Map<UUID, Running> running = new ConcurrentHashMap<>();
    private final AtomicBoolean claiming = new AtomicBoolean();
    private final Map<String, AtomicLong> jobsByStatus = new ConcurrentHashMap<>();
    private long timer = -1;

    RecomputeRunner(Pool pool, MetricCatalog catalog, StoredSnapshots snapshots, JudgeModel judgeModel,
            EvaluationStore store, RecomputeConfig config, MeterRegistry meters, Vertx vertx, Budgets budgets) {
        this.pool = pool;
        this.budgets = budgets;
        this.catalog = catalog;
        this.snapshots = snapshots;
        this.judgeModel = judgeModel;
        this.store = store;
        this.config = config;
        this.meters = meters;
        this.vertx = vertx;
    }

    /** A job this replica runs. */
    private static final class Running {
        final UUID id;
        final RecomputeTarget target;
        final JudgeModel.Judge judge;
        volatile boolean stopped;

        Running(UUID id, RecomputeTarget target) {
            this.id = id;
            this.target = target;
            this.judge = target.judge(id.toString());
        }
    }

    /** A record's outcome: succeeded, errored, skipped or missing, with the evaluation stored for it. */
    private record Outcome(String name, Evaluation evaluation) {
    }

    /** The item of a job: its position and record id. */
    private record Item(int position, String recordId) {
    }

    /** A job that stops starts no further provider call. */
    private static final class Stopped extends RuntimeException {
        Stopped() {
            super("the recompute job stopped", null, false, false);
        }
    }

    void onStart(@Observes StartupEvent event) {
        for (RecomputeJob.Status status : STATUSES) {
            AtomicLong count = new AtomicLong();
            jobsByStatus.put(status.name(), count);
            Gauge.builder("plumbline.recompute.jobs", count, AtomicLong::get)
                    .description("Recompute jobs by status (all replicas, from the database)")
                    .tag("status", statusTag(status)).register(meters);
        }
        timer = vertx.setPeriodic(Math.max(50, config.pollInterval().toMillis()), id -> renew());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        running.values().forEach(job -> job.stopped = true);
    }

    /** Takes up jobs now (after a start) rather than at the next tick. */
    void wake() {
        claimJobs().subscribe().with(ignored -> { }, failure -> { });
    }

    /** Stops a job this replica runs (a cancel made here). */
    void stopHere(UUID id) {
        Running job = running.get(id);
        if (job != null) {
            job.stopped = true;
        }
    }

    @Scheduled(every = "1s", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> claimJobs() {
        if (!catalog.isLoaded() || !claiming.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        return fill()
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("Claiming recompute jobs failed, trying again later: %s", failure.toString());
                    return Uni.createFrom().voidItem();
                })
                .eventually(() -> claiming.set(false));
    }

    private Uni<Void> fill() {
        if (running.size() >= config.maxJobsPerReplica()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery("""
                        update recompute_job set claimed_by = $1, claimed_until = now() + make_interval(secs => $2),
                            status = 'STATUS_RUNNING', started_at = coalesce(started_at, now())
                        where id = (select id from recompute_job
                                    where status in ('STATUS_PENDING', 'STATUS_RUNNING')
                                      and (claimed_until is null or claimed_until < now())
                                    order by created_at limit 1 for update skip locked)
                        returning id, project_id, scope""")
                .execute(Tuple.of(replica, config.lease().toMillis() / 1000.0))
                .chain(rows -> {
                    if (rows.size() == 0) {
                        return Uni.createFrom().voidItem();
                    }
                    Row row = rows.iterator().next();
                    UUID id = row.getUUID("id");
                    String projectId = row.getString("project_id");
                    RecomputeScope scope = ProtoJson.parseBytes(row.getBuffer("scope").getBytes(),
                            RecomputeScope.getDefaultInstance());
                    Optional<Metric> metric = catalog.metric(projectId, scope.getMetricVersion().getMetricId());
                    Optional<MetricVersion> version = metric.flatMap(m -> catalog.version(m,
                            scope.getMetricVersion().getVersion()));
                    if (version.isEmpty()) {
                        return finish(id, RecomputeJob.Status.STATUS_FAILED, "metric " + scope.getMetricVersion()
                                .getMetricId() + " version " + scope.getMetricVersion().getVersion()
                                + " is no longer known to the judge").chain(this::fill);
                    }
                    Running here = running.get(id);
                    if (here != null && !here.stopped) {
                        return fill(); // its lease had run out while it ran here: renewed now, it goes on
                    }
                    Running job = new Running(id, new RecomputeTarget(projectId, metric.get(), version.get(), scope));
                    running.put(id, job);
                    LOG.infof("Running recompute job %s (metric %s version %d)", id, metric.get().getName(),
                            version.get().getVersion());
                    run(job);
                    return fill();
                });
    }

    private void run(Running job) {
        loop(job)
                .eventually(() -> running.remove(job.id, job))
                .subscribe().with(ignored -> { }, failure -> LOG.warnf(
                        "Recompute job %s failed on this replica; it is resumed after its lease: %s", job.id,
                        failure.toString()));
    }

    private Uni<Void> loop(Running job) {
        if (job.stopped) {
            return Uni.createFrom().voidItem();
        }
        int batch = Math.max(50, config.concurrency() * 4);
        return pool.preparedQuery("""
                        select position, record_id from recompute_item where job_id = $1 and outcome is null
                        order by position limit $2""")
                .execute(Tuple.of(job.id, batch))
                .chain(rows -> {
                    List<Item> items = new ArrayList<>();
                    rows.forEach(row -> items.add(new Item(row.getInteger("position"), row.getString("record_id"))));
                    if (items.isEmpty()) {
                        return finish(job.id, RecomputeJob.Status.STATUS_SUCCEEDED, "");
                    }
                    return snapshots.newest(job.target.projectId(), job.target.level(),
                                    items.stream().map(Item::recordId).toList())
                            .chain(found -> Multi.createFrom().iterable(items)
                                    .onItem().transformToUni(item -> process(job, item, found.get(item.recordId())))
                                    .merge(config.concurrency())
                                    .collect().last())
                            .chain(() -> loop(job));
                });
    }

    private Uni<Void> process(Running job, Item item, RecordSnapshot snapshot) {
        if (job.stopped) {
            return Uni.createFrom().voidItem();
        }
        if (snapshot == null) {
            return record(job, item, new Outcome("missing", null));
        }
        return earlier(job, snapshot).chain(earlier -> {
            if (earlier != null) {
                // judged by this job before a restart that came between storing and counting: counted as it was judged
                return record(job, item, job.id.toString().equals(earlier.getRecomputeJobId())
                        ? judged(earlier) : new Outcome("skipped", null));
            }
            return onOwnContext(() -> judgeAndStore(job, snapshot))
                    .chain(outcome -> outcome == null ? Uni.createFrom().voidItem() : record(job, item, outcome));
        });
    }

    private Uni<Evaluation> earlier(Running job, RecordSnapshot snapshot) {
        return pool.preparedQuery("""
                        select evaluation from evaluation
                        where metric_id = $1 and metric_version = $2 and record_id = $3 and content_hash = $4""")
                .execute(Tuple.of(UUID.fromString(job.target.metric().getId()), job.target.version().getVersion(),
                        snapshot.getRecord().getRecordId(), snapshot.getContentHash()))
                .map(rows -> rows.size() == 0 ? null : ProtoJson.parseBytes(
                        rows.iterator().next().getBuffer("evaluation").getBytes(), Evaluation.getDefaultInstance()));
    }

    /** Judges and stores; null when the job stopped before the provider was called. */
    private Uni<Outcome> judgeAndStore(Running job, RecordSnapshot snapshot) {
        return Uni.createFrom().deferred(() -> job.stopped ? Uni.createFrom().<Evaluation>failure(new Stopped())
                        : judgeModel.judge(job.judge, snapshot))
                .onFailure(failure -> failure instanceof LlmCallFailed call && call.isTransient())
                .invoke(failure -> LOG.warnf("Recompute job %s waits for the provider: %s", job.id, failure.getMessage()))
                .onFailure(failure -> failure instanceof LlmCallFailed call && call.isTransient())
                .retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(30)).indefinitely()
                .chain(evaluation -> store.store(evaluation, snapshot)
                        .map(stored -> stored.getId().equals(evaluation.getId())
                                ? judged(evaluation) : new Outcome("skipped", null))
                        // the same judgment stored concurrently (the unique key): counted as the stored one is
                        .onFailure(failure -> !(failure instanceof Stopped)).recoverWithUni(failure -> earlier(job, snapshot)
                                .map(earlier -> {
                                    if (earlier == null) {
                                        throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
                                    }
                                    return job.id.toString().equals(earlier.getRecomputeJobId())
                                            ? judged(earlier) : new Outcome("skipped", null);
                                })))
                .onFailure(Stopped.class).recoverWithNull();
    }

    private static Outcome judged(Evaluation evaluation) {
        return new Outcome(evaluation.getStatus() == Evaluation.Status.STATUS_OK ? "succeeded" : "errored", evaluation);
    }

    /** Marks the item processed and adds it to the job's counters, once; stops the job at its cost cap. */
    private Uni<Void> record(Running job, Item item, Outcome outcome) {
        Evaluation e = outcome.evaluation();
        return pool.withTransaction(connection -> connection.preparedQuery("""
                                update recompute_item set outcome = $3 where job_id = $1 and position = $2
                                  and outcome is null""")
                        .execute(Tuple.of(job.id, item.position(), outcome.name()))
                        .chain(marked -> marked.rowCount() == 0 ? Uni.createFrom().<double[]>nullItem()
                                : connection.preparedQuery("""
                                                update recompute_job set succeeded = succeeded + $2, errored = errored + $3,
                                                    skipped = skipped + $4, missing = missing + $5,
                                                    prompt_tokens = prompt_tokens + $6,
                                                    completion_tokens = completion_tokens + $7, cost_usd = cost_usd + $8
                                                where id = $1 returning cost_usd, max_cost_usd, status""")
                                        .execute(Tuple.from(List.<Object>of(job.id, one(outcome, "succeeded"),
                                                one(outcome, "errored"), one(outcome, "skipped"), one(outcome, "missing"),
                                                e == null ? 0L : e.getPromptTokens(), e == null ? 0L : e.getCompletionTokens(),
                                                e == null ? 0.0 : e.getCostUsd())))
                                        .call(() -> e == null ? Uni.createFrom().voidItem() : budgets.spent(connection,
                                                List.of(new Budgets.Spending(job.target.projectId(),
                                                        job.target.metric().getId(), job.target.metric().getName(),
                                                        RECOMPUTE_USAGE, e.getPromptTokens() + e.getCompletionTokens(),
                                                        e.getCostUsd()))))
                                        .map(rows -> {
                                            Row row = rows.iterator().next();
                                            boolean capped = row.getString("status").equals("STATUS_RUNNING")
                                                    && row.getDouble("max_cost_usd") > 0
                                                    && row.getDouble("cost_usd") >= row.getDouble("max_cost_usd");
                                            return new double[] {capped ? 1 : 0};
                                        })))
                .chain(counted -> {
                    if (counted == null) {
                        return Uni.createFrom().voidItem();
                    }
                    meters.counter("plumbline.recompute.records", "outcome", outcome.name()).increment();
                    if (counted[0] == 0) {
                        return Uni.createFrom().voidItem();
                    }
                    job.stopped = true;
                    LOG.infof("Recompute job %s reached its cost cap", job.id);
                    return finish(job.id, RecomputeJob.Status.STATUS_FAILED, "cost cap reached");
                });
    }

    private static long one(Outcome outcome, String name) {
        return outcome.name().equals(name) ? 1 : 0;
    }

    /** Ends a running job held by this replica (a cancelled one stays cancelled). */
    private Uni<Void> finish(UUID id, RecomputeJob.Status status, String error) {
        return pool.preparedQuery("""
                        update recompute_job set status = $3, error = $4, finished_at = now(), claimed_by = null,
                            claimed_until = null
                        where id = $1 and claimed_by = $2 and status = 'STATUS_RUNNING'""")
                .execute(Tuple.of(id, replica, status.name(), error))
                .invoke(rows -> {
                    if (rows.rowCount() > 0) {
                        LOG.infof("Recompute job %s ended: %s %s", id, status, error);
                    }
                })
                .replaceWithVoid();
    }

    /** Renews the leases of the jobs running here; a job cancelled elsewhere (or whose lease was lost) stops. */
    private void renew() {
        if (running.isEmpty()) {
            return;
        }
        UUID[] ids = running.keySet().toArray(UUID[]::new);
        pool.preparedQuery("""
                        update recompute_job set claimed_until = now() + make_interval(secs => $2)
                        where claimed_by = $1 and id = any($3) and status = 'STATUS_RUNNING' returning id""")
                .execute(Tuple.of(replica, config.lease().toMillis() / 1000.0, ids))
                .subscribe().with(rows -> {
                    Set<UUID> held = ConcurrentHashMap.newKeySet();
                    rows.forEach(row -> held.add(row.getUUID("id")));
                    for (UUID id : ids) {
                        if (!held.contains(id)) {
                            stopHere(id);
                        }
                    }
                }, failure -> LOG.warnf("Renewing the recompute jobs' leases failed: %s", failure.toString()));
    }

    /** The jobs by status on the Prometheus endpoint (counted over every replica's jobs). */
    @Scheduled(every = "5s", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> countJobs() {
        return pool.query("select status, count(*) as jobs from recompute_job group by status").execute()
                .invoke(rows -> {
                    Map<String, Long> counts = new java.util.HashMap<>();
                    rows.forEach(row -> counts.put(row.getString("status"), row.getLong("jobs")));
                    jobsByStatus.forEach((status, count) -> count.set(counts.getOrDefault(status, 0L)));
                })
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> Uni.createFrom().voidItem());
    }

    static String statusTag(RecomputeJob.Status status) {
        return status.name().substring("STATUS_".length()).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Runs on a Vert.x context of its own: the store's Hibernate Reactive session is bound to the context, and the
     * records of a job are judged concurrently.
     */
    private <T> Uni<T> onOwnContext(Supplier<Uni<T>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
        return Uni.createFrom().emitter(emitter -> context.runOnContext(ignored -> Uni.createFrom()
                .<T>deferred(work::get).subscribe().with(emitter::complete, emitter::fail)));
    }
}
