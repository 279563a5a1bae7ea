package io.plumbline.judge.evaluation;

import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.kafka.Topic;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.common.outbox.Outbox;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.judge.v1.BatchGetEvaluationsRequest;
import io.plumbline.proto.judge.v1.BatchGetEvaluationsResponse;
import io.plumbline.proto.judge.v1.EvaluationWithSnapshot;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.judge.v1.GetEvaluationRequest;
import io.plumbline.proto.judge.v1.GetRecordSnapshotRequest;
import io.plumbline.proto.judge.v1.ListEvaluationsRequest;
import io.plumbline.proto.judge.v1.ListEvaluationsResponse;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.ValueFilter;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Stored evaluations. Storing is idempotent on (metric version, record id, content hash): the same version judging the
 * same content of the same record keeps the first evaluation, and the event is emitted once. Each stored evaluation
 * leaves on {@code plumbline.evaluations} (keyed by metric id, with the judged snapshot) through the outbox, in the
 * transaction that stores it.
 */
@ApplicationScoped
public class EvaluationStore {

    /** Most ids of one BatchGetEvaluations call. */
    public static final int MAX_BATCH_GET = 1000;

    private final Outbox outbox;
    private final StoredSnapshots snapshots;

    EvaluationStore(Outbox outbox, StoredSnapshots snapshots) {
        this.outbox = outbox;
        this.snapshots = snapshots;
    }

    /** The stored evaluation of this version, record and content, if there is one. */
    @WithSession
    public Uni<Evaluation> existing(String metricId, int version, String recordId, String contentHash) {
        return EvaluationEntity.<EvaluationEntity>find(
                        "metricId = ?1 and metricVersion = ?2 and recordId = ?3 and contentHash = ?4",
                        UUID.fromString(metricId), version, recordId, contentHash)
                .firstResult().map(row -> row == null ? null : evaluation(row));
    }

    /** Stores the evaluation and its event; returns the one stored (an earlier one when it already existed). */
    public Uni<Evaluation> store(Evaluation evaluation, RecordSnapshot snapshot) {
        return Panache.withTransaction(() -> existing(evaluation.getMetricVersion().getMetricId(),
                        evaluation.getMetricVersion().getVersion(), evaluation.getRecord().getRecordId(),
                        evaluation.getContentHash())
                .chain(earlier -> earlier != null ? Uni.createFrom().item(earlier) : insert(evaluation, snapshot)));
    }

    private Uni<Evaluation> insert(Evaluation evaluation, RecordSnapshot snapshot) {
        EvaluationEntity row = new EvaluationEntity();
        row.id = UUID.fromString(evaluation.getId());
        row.projectId = evaluation.getProjectId();
        row.metricId = UUID.fromString(evaluation.getMetricVersion().getMetricId());
        row.metricVersion = evaluation.getMetricVersion().getVersion();
        row.level = evaluation.getRecord().getLevel().name();
        row.recordId = evaluation.getRecord().getRecordId();
        row.traceId = evaluation.getRecord().getTraceId();
        row.sessionId = evaluation.getRecord().getSessionId();
        row.contentHash = evaluation.getContentHash();
        row.status = evaluation.getStatus().name();
        row.origin = evaluation.getOrigin().name();
        row.createdAt = ProtoJson.offsetDateTime(evaluation.getCreateTime());
        row.recordEndTime = evaluation.hasRecordEndTime() ? ProtoJson.offsetDateTime(evaluation.getRecordEndTime()) : null;
        row.recomputeJobId = evaluation.getRecomputeJobId().isEmpty() ? null : UUID.fromString(evaluation.getRecomputeJobId());
        if (evaluation.getStatus() == Evaluation.Status.STATUS_OK) {
            var number = OutputTypes.numeric(evaluation.getValue());
            row.valueNumber = number.isPresent() ? number.getAsDouble() : null;
            row.valueLabel = number.isPresent() ? null : OutputTypes.format(evaluation.getValue());
        }
        row.evaluation = evaluation.toByteArray();
        row.snapshot = snapshot.toByteArray();
        UUID eventId = UUID.randomUUID();
        var event = EvaluationEvent.newBuilder().setEventId(eventId.toString())
                .setEventTime(ProtoJson.timestamp(ProtoJson.now())).setProjectId(evaluation.getProjectId())
                .setMetricId(evaluation.getMetricVersion().getMetricId()).setEvaluation(evaluation).setSnapshot(snapshot)
                .build();
        return row.persist()
                .chain(() -> outbox.enqueue(Topic.EVALUATIONS, event.getMetricId(), eventId, event))
                .replaceWith(evaluation);
    }

    @WithSession
    public Uni<Evaluation> get(GetEvaluationRequest request) {
        UUID id = uuid(request.getEvaluationId(), "evaluation_id");
        return EvaluationEntity.<EvaluationEntity>findById(id).map(row -> {
            if (row == null || !row.projectId.equals(request.getProjectId())) {
                throw ApiException.notFound("evaluation " + request.getEvaluationId() + " does not exist in project \""
                        + request.getProjectId() + "\"");
            }
            return evaluation(row);
        });
    }

    /** The snapshot an evaluation judged, or the newest stored snapshot of a record ({@link StoredSnapshots}). */
    public Uni<RecordSnapshot> snapshot(GetRecordSnapshotRequest request) {
        Uni<RecordSnapshot> found = switch (request.getTargetCase()) {
            case EVALUATION_ID -> snapshots.ofEvaluation(request.getProjectId(),
                    uuid(request.getEvaluationId(), "evaluation_id"));
            case RECORD -> {
                Violations v = new Violations();
                v.check(request.getRecord().getRecordId().isEmpty(), "record.record_id", "is required");
                v.check(request.getRecord().getLevel() == Level.LEVEL_UNSPECIFIED
                        || request.getRecord().getLevel() == Level.UNRECOGNIZED, "record.level", "is required");
                v.throwIfAny();
                String id = request.getRecord().getRecordId();
                yield snapshots.newest(request.getProjectId(), request.getRecord().getLevel(), List.of(id))
                        .map(map -> map.get(id));
            }
            case TARGET_NOT_SET -> throw ApiException.invalid("target", "evaluation_id or record is required");
        };
        return found.map(snapshot -> {
            if (snapshot == null) {
                throw ApiException.notFound("no stored snapshot for " + (request.hasRecord()
                        ? "record " + request.getRecord().getRecordId() : "evaluation " + request.getEvaluationId())
                        + " in project \"" + request.getProjectId() + "\"");
            }
            return snapshot;
        });
    }

    /** Up to 1000 evaluations by id, in request order, with the snapshots they judged when asked. */
    @WithSession
    public Uni<BatchGetEvaluationsResponse> batchGet(BatchGetEvaluationsRequest request) {
        Violations v = new Violations();
        v.check(request.getEvaluationIdsCount() == 0 || request.getEvaluationIdsCount() > MAX_BATCH_GET, "evaluation_ids",
                "must hold 1 to " + MAX_BATCH_GET + " ids (has " + request.getEvaluationIdsCount() + ")");
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < Math.min(request.getEvaluationIdsCount(), MAX_BATCH_GET); i++) {
            try {
                ids.add(UUID.fromString(request.getEvaluationIds(i)));
            } catch (IllegalArgumentException e) {
                v.add("evaluation_ids[" + i + "]", "must be a UUID (was \"" + request.getEvaluationIds(i) + "\")");
            }
        }
        v.throwIfAny();
        return EvaluationEntity.<EvaluationEntity>find("projectId = ?1 and id in ?2", request.getProjectId(),
                        List.copyOf(new LinkedHashSet<>(ids)))
                .list().map(rows -> {
                    Map<UUID, EvaluationEntity> byId = new HashMap<>();
                    rows.forEach(row -> byId.put(row.id, row));
                    var response = BatchGetEvaluationsResponse.newBuilder();
                    Set<String> missing = new LinkedHashSet<>();
                    for (int i = 0; i < ids.size(); i++) {
                        EvaluationEntity row = byId.get(ids.get(i));
                        if (row == null) {
                            missing.add(request.getEvaluationIds(i));
                            continue;
                        }
                        var found = EvaluationWithSnapshot.newBuilder().setEvaluation(evaluation(row));
                        if (request.getIncludeSnapshots()) {
                            found.setSnapshot(ProtoJson.parseBytes(row.snapshot, RecordSnapshot.getDefaultInstance()));
                        }
                        response.addEvaluations(found);
                    }
                    return response.addAllMissingIds(missing).build();
                });
    }

    /** Newest first; filters combine with AND. */
    @WithSession
    public Uni<ListEvaluationsResponse> list(ListEvaluationsRequest request) {
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        String after = PageToken.decode(request.getPageToken());
        StringBuilder where = new StringBuilder("projectId = :project");
        Map<String, Object> params = new HashMap<>();
        params.put("project", request.getProjectId());
        if (!request.getMetricId().isEmpty()) {
            where.append(" and metricId = :metric");
            params.put("metric", uuid(request.getMetricId(), "metric_id"));
        }
        if (request.getMetricVersion() > 0) {
            where.append(" and metricVersion = :version");
            params.put("version", request.getMetricVersion());
        }
        if (!request.getRecordId().isEmpty()) {
            where.append(" and recordId = :record");
            params.put("record", request.getRecordId());
        }
        if (request.getLevel() != io.plumbline.proto.common.v1.Level.LEVEL_UNSPECIFIED) {
            where.append(" and level = :level");
            params.put("level", request.getLevel().name());
        }
        if (!request.getTraceId().isEmpty()) {
            where.append(" and traceId = :trace");
            params.put("trace", request.getTraceId());
        }
        if (!request.getSessionId().isEmpty()) {
            where.append(" and sessionId = :session");
            params.put("session", request.getSessionId());
        }
        if (!request.getOriginsList().isEmpty()) {
            where.append(" and origin in :origins");
            params.put("origins", request.getOriginsList().stream().map(Enum::name).toList());
        }
        if (!request.getStatusesList().isEmpty()) {
            where.append(" and status in :statuses");
            params.put("statuses", request.getStatusesList().stream().map(Enum::name).toList());
        }
        if (request.getCreateTime().hasStartTime()) {
            where.append(" and createdAt >= :from");
            params.put("from", ProtoJson.offsetDateTime(request.getCreateTime().getStartTime()));
        }
        if (request.getCreateTime().hasEndTime()) {
            where.append(" and createdAt < :to");
            params.put("to", ProtoJson.offsetDateTime(request.getCreateTime().getEndTime()));
        }
        if (request.getRecordTime().hasStartTime()) {
            where.append(" and recordEndTime >= :recordFrom");
            params.put("recordFrom", ProtoJson.offsetDateTime(request.getRecordTime().getStartTime()));
        }
        if (request.getRecordTime().hasEndTime()) {
            where.append(" and recordEndTime < :recordTo");
            params.put("recordTo", ProtoJson.offsetDateTime(request.getRecordTime().getEndTime()));
        }
        if (!request.getRecomputeJobId().isEmpty()) {
            where.append(" and recomputeJobId = :job");
            params.put("job", uuid(request.getRecomputeJobId(), "recompute_job_id"));
        }
        if (request.hasValue()) {
            valueFilter(request.getValue(), where, params);
        }
        if (after != null) {
            int bar = after.indexOf('|');
            try {
                params.put("afterTime", OffsetDateTime.parse(after.substring(0, bar)));
                params.put("afterId", UUID.fromString(after.substring(bar + 1)));
            } catch (RuntimeException e) {
                throw ApiException.invalid("page_token", "is not a token returned by this API");
            }
            where.append(" and (createdAt < :afterTime or (createdAt = :afterTime and id < :afterId))");
        }
        return EvaluationEntity.<EvaluationEntity>find(where + " order by createdAt desc, id desc", params)
                .page(0, size + 1).list().map(rows -> {
                    var response = ListEvaluationsResponse.newBuilder();
                    rows.stream().limit(size).forEach(row -> response.addEvaluations(evaluation(row)));
                    if (rows.size() > size) {
                        EvaluationEntity last = rows.get(size - 1);
                        response.setNextPageToken(PageToken.encode(last.createdAt + "|" + last.id));
                    }
                    return response.build();
                });
    }

    /** Judged values only (status OK): equal to a value, or for numeric kinds within an inclusive range. */
    private static void valueFilter(ValueFilter filter, StringBuilder where, Map<String, Object> params) {
        where.append(" and status = 'STATUS_OK'");
        switch (filter.getConditionCase()) {
            case EQUALS -> {
                MetricValue value = filter.getEquals();
                var number = OutputTypes.numeric(value);
                if (value.getValueCase() == MetricValue.ValueCase.VALUE_NOT_SET) {
                    throw ApiException.invalid("value.equals", "must hold a value");
                } else if (number.isPresent()) {
                    where.append(" and valueNumber = :valueNumber");
                    params.put("valueNumber", number.getAsDouble());
                } else {
                    where.append(" and valueLabel = :valueLabel");
                    params.put("valueLabel", OutputTypes.format(value));
                }
            }
            case RANGE -> {
                if (!filter.getRange().hasMin() && !filter.getRange().hasMax()) {
                    throw ApiException.invalid("value.range", "needs min, max or both");
                }
                if (filter.getRange().hasMin()) {
                    where.append(" and valueNumber >= :valueMin");
                    params.put("valueMin", filter.getRange().getMin());
                }
                if (filter.getRange().hasMax()) {
                    where.append(" and valueNumber <= :valueMax");
                    params.put("valueMax", filter.getRange().getMax());
                }
            }
            case CONDITION_NOT_SET -> throw ApiException.invalid("value", "must set equals or range");
        }
    }

    private static Evaluation evaluation(EvaluationEntity row) {
        return ProtoJson.parseBytes(row.evaluation, Evaluation.getDefaultInstance());
    }

    private static UUID uuid(String value, String field) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field, "must be a UUID (was \"" + value + "\")");
        }
    }
}
