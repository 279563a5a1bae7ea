package io.plumbline.alignment.disagreement;

import io.plumbline.alignment.join.JudgedEvaluation;
import io.plumbline.alignment.join.MetricSettings;
import io.plumbline.alignment.join.ResolvedAnnotation;
import io.plumbline.alignment.run.RunEntity;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.alignment.v1.Disagreement;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsResponse;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.UUID;

/**
 * Disagreements: resolved annotations joined with the evaluations they label, where the experts' value differs from
 * the judge's (boolean, categorical) or lies further from it than the metric's delta threshold (numeric types).
 */
@ApplicationScoped
public class DisagreementService {

    /** Joined pairs of one metric of one project whose values disagree beyond :threshold. */
    private static final String DISAGREEMENTS = "from ResolvedAnnotation a, JudgedEvaluation e"
            + " where e.id = a.evaluationId and a.metricId = :metric and a.projectId = :project"
            + " and ((a.numericDelta is null and a.valuesEqual = false)"
            + " or (a.numericDelta is not null and a.numericDelta > :threshold))";

    /** How many resolved disagreements the evaluations of one metric version have. */
    public Uni<Long> count(String projectId, UUID metricId, int version, double threshold) {
        return Panache.getSession().chain(session -> session
                .createQuery("select count(a) " + DISAGREEMENTS + " and a.metricVersion = :version", Long.class)
                .setParameter("metric", metricId).setParameter("project", projectId)
                .setParameter("threshold", threshold).setParameter("version", version)
                .getSingleResult());
    }

    @WithSession
    public Uni<ListDisagreementsResponse> list(ListDisagreementsRequest request) {
        Violations v = new Violations();
        v.requireText(request.getProjectId(), "project_id", 64);
        UUID metricId = parseUuid(request.getMetricId(), "metric_id", v);
        v.check(request.getVersion() < 0, "version", "must be 0 (any) or a version number");
        v.check(request.hasDeltaThreshold() && request.getDeltaThreshold() < 0, "delta_threshold", "must be 0 or more");
        UUID run = request.getRunId().isEmpty() ? null : parseUuid(request.getRunId(), "run_id", v);
        v.throwIfAny();
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        Cursor after = Cursor.decode(PageToken.decode(request.getPageToken()));

        return deltaThreshold(metricId, request).chain(threshold -> trainingUse(request.getProjectId(), metricId)
                .chain(use -> listWith(request, metricId, threshold, run, use, size, after)));
    }

    /** For each annotation some run of the metric trained on: those runs, oldest first. */
    private static Uni<Map<UUID, List<String>>> trainingUse(String projectId, UUID metricId) {
        return RunEntity.<RunEntity>find("projectId = ?1 and metricId = ?2 and splitJson is not null order by createdAt",
                projectId, metricId).list().map(runs -> {
                    Map<UUID, List<String>> use = new HashMap<>();
                    for (RunEntity run : runs) {
                        run.trainIds().forEach(id -> use.computeIfAbsent(id, k -> new ArrayList<>()).add(run.id.toString()));
                    }
                    return use;
                });
    }

    private Uni<ListDisagreementsResponse> listWith(ListDisagreementsRequest request, UUID metricId, double threshold,
            UUID run, Map<UUID, List<String>> use, int size, Cursor after) {
        List<UUID> ofRun = run == null ? List.of() : use.entrySet().stream()
                .filter(e -> e.getValue().contains(run.toString())).map(Map.Entry::getKey).toList();
        List<UUID> used = List.copyOf(use.keySet());
        StringBuilder hql = new StringBuilder("select a, e " + DISAGREEMENTS);
        if (request.getVersion() > 0) {
            hql.append(" and a.metricVersion = :version");
        }
        if (request.getEvaluationTime().hasStartTime()) {
            hql.append(" and e.evaluatedAt >= :from");
        }
        if (request.getEvaluationTime().hasEndTime()) {
            hql.append(" and e.evaluatedAt < :to");
        }
        if (run != null) {
            hql.append(ofRun.isEmpty() ? " and 1 = 0" : " and a.id in :ofRun");
        }
        if (request.getUnusedOnly() && !used.isEmpty()) {
            hql.append(" and a.id not in :used");
        }
        if (after != null) {
            hql.append(" and (a.resolvedAt < :afterTime or (a.resolvedAt = :afterTime and a.id < :afterId))");
        }
        hql.append(" order by a.resolvedAt desc, a.id desc");
        return Panache.getSession().chain(session -> {
            var query = session.createQuery(hql.toString(), Object[].class)
                    .setParameter("metric", metricId)
                    .setParameter("project", request.getProjectId())
                    .setParameter("threshold", threshold)
                    .setMaxResults(size + 1);
            if (request.getVersion() > 0) {
                query.setParameter("version", request.getVersion());
            }
            if (request.getEvaluationTime().hasStartTime()) {
                query.setParameter("from", ProtoJson.offsetDateTime(request.getEvaluationTime().getStartTime()));
            }
            if (request.getEvaluationTime().hasEndTime()) {
                query.setParameter("to", ProtoJson.offsetDateTime(request.getEvaluationTime().getEndTime()));
            }
            if (after != null) {
                query.setParameter("afterTime", after.resolvedAt()).setParameter("afterId", after.annotationId());
            }
            if (run != null && !ofRun.isEmpty()) {
                query.setParameter("ofRun", ofRun);
            }
            if (request.getUnusedOnly() && !used.isEmpty()) {
                query.setParameter("used", used);
            }
            return query.getResultList();
        }).map(rows -> page(rows, size, request.getIncludeSnapshots(), use));
    }

    /** The request's threshold, else the metric's policy (from plumbline.metrics), else 0: any difference counts. */
    private static Uni<Double> deltaThreshold(UUID metricId, ListDisagreementsRequest request) {
        if (request.hasDeltaThreshold()) {
            return Uni.createFrom().item(request.getDeltaThreshold());
        }
        return MetricSettings.<MetricSettings>findById(metricId).map(settings -> settings == null ? 0.0
                : ProtoJson.parse(settings.alignmentPolicyJson, AlignmentPolicy.getDefaultInstance()).getDeltaThreshold());
    }

    private static ListDisagreementsResponse page(List<Object[]> rows, int size, boolean withSnapshots,
            Map<UUID, List<String>> use) {
        var response = ListDisagreementsResponse.newBuilder();
        rows.stream().limit(size).forEach(row -> {
            ResolvedAnnotation a = (ResolvedAnnotation) row[0];
            response.addDisagreements(toProto(a, (JudgedEvaluation) row[1], withSnapshots).toBuilder()
                    .addAllRunIds(use.getOrDefault(a.id, List.of())).build());
        });
        if (rows.size() > size) {
            ResolvedAnnotation last = (ResolvedAnnotation) rows.get(size - 1)[0];
            response.setNextPageToken(PageToken.encode(new Cursor(last.resolvedAt, last.id).encode()));
        }
        return response.build();
    }

    private static Disagreement toProto(ResolvedAnnotation a, JudgedEvaluation e, boolean withSnapshot) {
        Annotation annotation = parseAnnotation(a.annotation);
        var disagreement = Disagreement.newBuilder()
                .setProjectId(a.projectId)
                .setMetricId(a.metricId.toString())
                .setMetricVersion(a.metricVersion)
                .setAnnotationId(a.id.toString())
                .setEvaluationId(e.id.toString())
                .setRecord(ProtoJson.parse(e.recordJson, RecordRef.getDefaultInstance()))
                .setJudgeValue(ProtoJson.parse(a.judgeValueJson, MetricValue.getDefaultInstance()))
                .setJudgeReasoning(a.judgeReasoning)
                .setExpectedValue(ProtoJson.parse(a.expectedValueJson, MetricValue.getDefaultInstance()))
                .addAllCritiques(annotation.getCritiquesList())
                .setEvaluationTime(ProtoJson.timestamp(e.evaluatedAt))
                .setResolveTime(ProtoJson.timestamp(a.resolvedAt));
        if (a.numericDelta != null) {
            disagreement.setDelta(a.numericDelta);
        }
        if (withSnapshot) {
            disagreement.setSnapshot(ProtoJson.parseBytes(e.snapshot, RecordSnapshot.getDefaultInstance()));
        }
        return disagreement.build();
    }

    private static Annotation parseAnnotation(byte[] bytes) {
        return ProtoJson.parseBytes(bytes, Annotation.getDefaultInstance());
    }

    private static UUID parseUuid(String value, String field, Violations v) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            v.add(field, "must be a UUID (was \"" + value + "\")");
            return null;
        }
    }

    /** The page key: the last row's resolve time and annotation id. */
    private record Cursor(OffsetDateTime resolvedAt, UUID annotationId) {
        String encode() {
            return resolvedAt + "|" + annotationId;
        }

        static Cursor decode(String token) {
            if (token == null) {
                return null;
            }
            int bar = token.indexOf('|');
            try {
                return new Cursor(OffsetDateTime.parse(token.substring(0, bar)), UUID.fromString(token.substring(bar + 1)));
            } catch (RuntimeException e) {
                throw ApiException.invalid("page_token", "is not a token returned by this API");
            }
        }
    }
}
