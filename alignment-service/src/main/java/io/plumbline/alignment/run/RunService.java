package io.plumbline.alignment.run;

import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.alignment.v1.AcceptRunRequest;
import io.plumbline.proto.alignment.v1.AlignmentEvent;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.AlignmentRun.Status;
import io.plumbline.proto.alignment.v1.CancelRunRequest;
import io.plumbline.proto.alignment.v1.DiscardRunRequest;
import io.plumbline.proto.alignment.v1.GetRunRequest;
import io.plumbline.proto.alignment.v1.ListRunsRequest;
import io.plumbline.proto.alignment.v1.ListRunsResponse;
import io.plumbline.proto.alignment.v1.RunCounts;
import io.plumbline.proto.alignment.v1.RunDecision;
import io.plumbline.proto.alignment.v1.RunSettings;
import io.plumbline.proto.alignment.v1.StartRunRequest;
import io.plumbline.proto.alignment.v1.WatchRunRequest;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.registry.v1.Metric;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The run API: start, read, list, watch, cancel, accept, discard. */
@ApplicationScoped
public class RunService {

    private static final SecureRandom SEEDS = new SecureRandom();

    private final RunStore store;
    private final RunExecutor executor;
    private final RunAcceptance acceptance;
    private final Registry registry;
    private final String reflectionProvider;
    private final String reflectionModel;

    RunService(RunStore store, RunExecutor executor, RunAcceptance acceptance, Registry registry,
            @ConfigProperty(name = "plumbline.alignment.reflection-model.provider", defaultValue = "openai") String provider,
            @ConfigProperty(name = "plumbline.alignment.reflection-model.model", defaultValue = "gpt-4o") String model) {
        this.store = store;
        this.executor = executor;
        this.acceptance = acceptance;
        this.registry = registry;
        this.reflectionProvider = provider;
        this.reflectionModel = model;
    }

    /** Starts a run; refused while one of the metric is active, or when its sources hold no usable annotation. */
    public Uni<AlignmentRun> start(StartRunRequest request, AlignmentRun.Trigger trigger) {
        Violations v = new Violations();
        v.requireText(request.getProjectId(), "project_id", 64);
        UUID metricId = uuid(request.getMetricId(), "metric_id", v);
        v.limitText(request.getStartedBy(), "started_by", 200);
        v.limitText(request.getRequestId(), "request_id", 200);
        RunSettings s = request.getSettings();
        v.check(s.hasDeltaThreshold() && s.getDeltaThreshold() < 0, "settings.delta_threshold", "must be 0 or more");
        v.check(s.getHoldoutFraction() < 0 || s.getHoldoutFraction() >= 1, "settings.holdout_fraction",
                "must be in (0, 1), or 0 for 0.3");
        v.check(s.getMaxRounds() < 0 || s.getMaxRounds() > 5, "settings.max_rounds", "must be 1-5, or 0 for 2");
        v.check(s.getBaseVersion() < 0, "settings.base_version", "must be a version number, or 0 for the published one");
        v.check(s.getReflectionBatchSize() != 0 && (s.getReflectionBatchSize() < 5 || s.getReflectionBatchSize() > 100),
                "settings.reflection_batch_size", "must be 5-100, or 0 for 20");
        v.check(s.hasAgreeingSampleSize() && (s.getAgreeingSampleSize() < 0 || s.getAgreeingSampleSize() > 100),
                "settings.agreeing_sample_size", "must be 0-100");
        v.check(s.hasMaxExamples() && (s.getMaxExamples() < 0 || s.getMaxExamples() > 50), "settings.max_examples",
                "must be 0-50");
        for (int i = 0; i < s.getSources().getAnnotationIdsCount(); i++) {
            uuid(s.getSources().getAnnotationIds(i), "settings.sources.annotation_ids[" + i + "]", v);
        }
        for (int i = 0; i < s.getSources().getEvaluationIdsCount(); i++) {
            uuid(s.getSources().getEvaluationIds(i), "settings.sources.evaluation_ids[" + i + "]", v);
        }
        v.throwIfAny();
        Uni<AlignmentRun> earlier = request.getRequestId().isEmpty() ? Uni.createFrom().nullItem()
                : Panache.withSession(() -> RunEntity.<RunEntity>find("projectId = ?1 and requestId = ?2",
                        request.getProjectId(), request.getRequestId()).firstResult())
                        .map(e -> e == null ? null : e.proto());
        return earlier.chain(found -> found != null ? Uni.createFrom().item(found)
                : registry.metric(request.getProjectId(), request.getMetricId())
                        .chain(metric -> create(request, metricId, metric, trigger)))
                .invoke(run -> executor.launch(UUID.fromString(run.getId())));
    }

    private Uni<AlignmentRun> create(StartRunRequest request, UUID metricId, Metric metric, AlignmentRun.Trigger trigger) {
        RunSettings settings = withDefaults(request.getSettings(), metric);
        return Panache.withSession(() -> active(metricId).chain(active -> {
            if (active != null) {
                throw ApiException.failedPrecondition("alignment run " + active.id + " of metric " + metric.getName()
                        + " is already " + active.status.replace("STATUS_", "").toLowerCase());
            }
            return RunRows.load(request.getProjectId(), metricId, settings.getSources());
        })).chain(rows -> {
            long usable = rows.stream().filter(RunRows.Row::usable).count();
            if (usable == 0) {
                throw ApiException.failedPrecondition("no resolved annotations to learn from in the sources: found "
                        + rows.size() + " resolved annotations of metric " + metric.getName() + ", " + usable
                        + " of them with their evaluation");
            }
            OffsetDateTime now = ProtoJson.now();
            UUID id = UUID.randomUUID();
            AlignmentRun run = AlignmentRun.newBuilder()
                    .setId(id.toString())
                    .setProjectId(request.getProjectId())
                    .setMetricId(metric.getId())
                    .setMetricName(metric.getName())
                    .setBuiltinMetric(metric.getBuiltin())
                    .setBaseVersion(settings.getBaseVersion())
                    .setStatus(Status.STATUS_PENDING)
                    .setProgress(RunExecutor.progress(0, "waiting for a worker"))
                    .setCounts(RunCounts.getDefaultInstance())
                    .setTrigger(trigger)
                    .setStartedBy(trigger == AlignmentRun.Trigger.TRIGGER_POLICY ? "policy"
                            : request.getStartedBy().isBlank() ? "anonymous" : request.getStartedBy())
                    .setSettings(settings)
                    .setRequestId(request.getRequestId())
                    .setCreateTime(ProtoJson.timestamp(now))
                    .setUpdateTime(ProtoJson.timestamp(now))
                    .build();
            RunEntity entity = new RunEntity();
            entity.id = id;
            entity.projectId = request.getProjectId();
            entity.metricId = metricId;
            entity.requestId = request.getRequestId().isEmpty() ? null : request.getRequestId();
            entity.createdAt = now;
            return store.insert(entity, run);
        }).onFailure(RunService::uniqueViolation).transform(e -> ApiException.failedPrecondition(
                "an alignment run of metric " + metric.getName() + " is already pending or running"));
    }

    private RunSettings withDefaults(RunSettings requested, Metric metric) {
        RunSettings.Builder s = requested.toBuilder();
        if (!s.hasReflectionModel() || s.getReflectionModel().getProvider().isEmpty()) {
            ModelConfig.Builder model = s.getReflectionModel().toBuilder();
            s.setReflectionModel(model.setProvider(reflectionProvider)
                    .setModel(model.getModel().isEmpty() ? reflectionModel : model.getModel()));
        }
        if (!s.hasJudgeModel() || s.getJudgeModel().getProvider().isEmpty()) {
            s.setJudgeModel(metric.getJudgeModel());
        }
        if (!s.hasDeltaThreshold()) {
            s.setDeltaThreshold(metric.getAlignmentPolicy().getDeltaThreshold());
        }
        if (s.getHoldoutFraction() == 0) {
            s.setHoldoutFraction(0.3);
        }
        if (!s.hasSeed()) {
            s.setSeed(SEEDS.nextLong());
        }
        if (s.getMaxRounds() == 0) {
            s.setMaxRounds(2);
        }
        if (s.getBaseVersion() == 0) {
            s.setBaseVersion(metric.getPublishedVersion());
        }
        if (s.getReflectionBatchSize() == 0) {
            s.setReflectionBatchSize(20);
        }
        if (!s.hasAgreeingSampleSize()) {
            s.setAgreeingSampleSize(10);
        }
        if (!s.hasMaxExamples()) {
            s.setMaxExamples(5);
        }
        return s.build();
    }

    static Uni<RunEntity> active(UUID metricId) {
        return RunEntity.<RunEntity>find("metricId = ?1 and status in ?2", metricId,
                List.of(Status.STATUS_PENDING.name(), Status.STATUS_RUNNING.name())).firstResult();
    }

    @WithSession
    public Uni<AlignmentRun> get(GetRunRequest request) {
        return find(request.getProjectId(), request.getRunId()).map(RunEntity::proto);
    }

    @WithSession
    public Uni<ListRunsResponse> list(ListRunsRequest request) {
        Violations v = new Violations();
        v.requireText(request.getProjectId(), "project_id", 64);
        UUID metric = request.getMetricId().isEmpty() ? null : uuid(request.getMetricId(), "metric_id", v);
        v.check(request.getStatusesList().contains(Status.UNRECOGNIZED), "statuses", "holds an unknown status");
        v.throwIfAny();
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        String token = PageToken.decode(request.getPageToken());
        StringBuilder hql = new StringBuilder("from RunEntity where projectId = :project");
        if (metric != null) {
            hql.append(" and metricId = :metric");
        }
        if (request.getStatusesCount() > 0) {
            hql.append(" and status in :statuses");
        }
        OffsetDateTime afterTime = null;
        UUID afterId = null;
        if (token != null) {
            try {
                int bar = token.indexOf('|');
                afterTime = OffsetDateTime.parse(token.substring(0, bar));
                afterId = UUID.fromString(token.substring(bar + 1));
            } catch (RuntimeException e) {
                throw ApiException.invalid("page_token", "is not a token returned by this API");
            }
            hql.append(" and (createdAt < :afterTime or (createdAt = :afterTime and id < :afterId))");
        }
        hql.append(" order by createdAt desc, id desc");
        OffsetDateTime time = afterTime;
        UUID id = afterId;
        return Panache.getSession().chain(session -> {
            var query = session.createQuery(hql.toString(), RunEntity.class)
                    .setParameter("project", request.getProjectId()).setMaxResults(size + 1);
            if (metric != null) {
                query.setParameter("metric", metric);
            }
            if (request.getStatusesCount() > 0) {
                query.setParameter("statuses", request.getStatusesList().stream().map(Enum::name).toList());
            }
            if (time != null) {
                query.setParameter("afterTime", time).setParameter("afterId", id);
            }
            return query.getResultList();
        }).map(rows -> {
            var response = ListRunsResponse.newBuilder();
            rows.stream().limit(size).forEach(r -> response.addRuns(r.proto()));
            if (rows.size() > size) {
                RunEntity last = rows.get(size - 1);
                response.setNextPageToken(PageToken.encode(last.createdAt + "|" + last.id));
            }
            return response.build();
        });
    }

    /**
     * The run now, then at every change, until (and including) its terminal snapshot. Changes come from the store as
     * they commit; the stored snapshot read at the start is merged in, and anything not newer than what was sent is
     * dropped, so the order holds whichever arrives first.
     */
    public Multi<AlignmentRun> watch(WatchRunRequest request) {
        UUID id = parseRunId(request.getProjectId(), request.getRunId());
        java.util.concurrent.atomic.AtomicReference<java.time.Instant> last = new java.util.concurrent.atomic.AtomicReference<>();
        Multi<AlignmentRun> live = store.changes().select().where(run -> run.getId().equals(request.getRunId()));
        Multi<AlignmentRun> now = store.find(id).map(entity -> {
            if (entity == null || !entity.projectId.equals(request.getProjectId())) {
                throw ApiException.notFound("alignment run " + request.getRunId() + " of project \""
                        + request.getProjectId() + "\" does not exist");
            }
            return entity.proto();
        }).toMulti();
        return Multi.createBy().merging().streams(now, live)
                .select().where(run -> newer(last, run))
                // The terminal snapshot is the last one: an empty marker after it ends the stream.
                .onItem().transformToIterable(run -> RunEntity.terminal(run.getStatus())
                        ? List.of(java.util.Optional.of(run), java.util.Optional.<AlignmentRun>empty())
                        : List.of(java.util.Optional.of(run)))
                .select().first(java.util.Optional::isPresent)
                .map(java.util.Optional::get);
    }

    private static synchronized boolean newer(java.util.concurrent.atomic.AtomicReference<java.time.Instant> last,
            AlignmentRun run) {
        java.time.Instant time = ProtoJson.offsetDateTime(run.getUpdateTime()).toInstant();
        java.time.Instant previous = last.get();
        if (previous != null && !time.isAfter(previous)) {
            return false;
        }
        last.set(time);
        return true;
    }

    /** Cancels an active run; a terminal run is returned unchanged. */
    public Uni<AlignmentRun> cancel(CancelRunRequest request) {
        UUID id = parseRunId(request.getProjectId(), request.getRunId());
        return Panache.withSession(() -> find(request.getProjectId(), request.getRunId()))
                .chain(found -> store.update(id, RunStore::active, (entity, run) -> run
                        .setStatus(Status.STATUS_CANCELLED)
                        .setCancelledBy(request.getCancelledBy().isBlank() ? "anonymous" : request.getCancelledBy())
                        .setFinishTime(ProtoJson.timestamp(ProtoJson.now()))
                        .setProgress(RunExecutor.progress(run.getProgress().getFraction(), "cancelled")),
                        AlignmentEvent.Type.TYPE_CANCELLED))
                .invoke(changed -> executor.stop(id))
                .map(RunStore.Changed::run);
    }

    public Uni<AlignmentRun> accept(AcceptRunRequest request) {
        Violations v = new Violations();
        v.limitText(request.getChangeNote(), "change_note", RunAcceptance.MAX_CHANGE_NOTE - 100);
        v.limitText(request.getForkName(), "fork_name", 200);
        v.limitText(request.getAcceptedBy(), "accepted_by", 200);
        parseRunId(request.getProjectId(), request.getRunId());
        v.throwIfAny();
        return Panache.withSession(() -> find(request.getProjectId(), request.getRunId()))
                .chain(entity -> acceptance.accept(entity.proto(), new RunAcceptance.Acceptance(request.getPublish(),
                        request.getChangeNote(), request.getForkName(),
                        request.getAcceptedBy().isBlank() ? "anonymous" : request.getAcceptedBy(),
                        request.getAllowRebase(), RunDecision.Kind.KIND_ACCEPTED)));
    }

    public Uni<AlignmentRun> discard(DiscardRunRequest request) {
        Violations v = new Violations();
        v.limitText(request.getReason(), "reason", 2000);
        v.limitText(request.getDiscardedBy(), "discarded_by", 200);
        UUID id = parseRunId(request.getProjectId(), request.getRunId());
        v.throwIfAny();
        return Panache.withSession(() -> find(request.getProjectId(), request.getRunId())).chain(entity -> {
            AlignmentRun run = entity.proto();
            if (run.hasDecision() && run.getDecision().getKind() == RunDecision.Kind.KIND_DISCARDED) {
                return Uni.createFrom().item(run);
            }
            if (run.hasDecision() || run.getStatus() != Status.STATUS_ALIGNED || !run.hasCandidate()) {
                throw ApiException.failedPrecondition("alignment run " + run.getId() + " cannot be discarded: "
                        + (run.hasDecision() ? "its candidate was already accepted"
                        : "it is " + run.getStatus().name().replace("STATUS_", "").toLowerCase()
                        + (run.getNothingToLearn() ? " with nothing to learn" : " without a candidate")));
            }
            return store.update(id, r -> !r.hasDecision(), (e, b) -> b.setDecision(RunDecision.newBuilder()
                            .setKind(RunDecision.Kind.KIND_DISCARDED)
                            .setDecidedBy(request.getDiscardedBy().isBlank() ? "anonymous" : request.getDiscardedBy())
                            .setDecideTime(ProtoJson.timestamp(ProtoJson.now())).setNote(request.getReason())),
                    AlignmentEvent.Type.TYPE_DISCARDED).map(RunStore.Changed::run);
        });
    }

    private static Uni<RunEntity> find(String projectId, String runId) {
        UUID id = parseRunId(projectId, runId);
        return RunEntity.<RunEntity>findById(id).map(entity -> {
            if (entity == null || !entity.projectId.equals(projectId)) {
                throw ApiException.notFound("alignment run " + runId + " of project \"" + projectId + "\" does not exist");
            }
            return entity;
        });
    }

    private static UUID parseRunId(String projectId, String runId) {
        Violations v = new Violations();
        v.requireText(projectId, "project_id", 64);
        UUID id = uuid(runId, "run_id", v);
        v.throwIfAny();
        return id;
    }

    private static UUID uuid(String value, String field, Violations v) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            v.add(field, "must be a UUID (was \"" + value + "\")");
            return null;
        }
    }

    private static boolean uniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof io.vertx.pgclient.PgException pg && "23505".equals(pg.getSqlState())) {
                return true;
            }
        }
        return false;
    }
}
