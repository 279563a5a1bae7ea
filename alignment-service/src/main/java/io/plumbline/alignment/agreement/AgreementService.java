package io.plumbline.alignment.agreement;

import io.plumbline.alignment.join.JudgedEvaluation;
import io.plumbline.alignment.join.MetricSettings;
import io.plumbline.alignment.join.ResolvedAnnotation;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.Violations;
import io.plumbline.common.stats.JudgeExpertAgreement;
import io.plumbline.common.stats.JudgeExpertAgreement.Pair;
import io.plumbline.proto.alignment.v1.DailyAgreement;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.MetricAgreement;
import io.plumbline.proto.alignment.v1.VersionAgreement;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** Agreement between the judge and the experts per metric version, overall and per UTC day of the evaluations. */
@ApplicationScoped
public class AgreementService {

    /** One labelled judgment as stored: the version, the evaluation's day, both values. */
    record LabelledJudgment(int version, LocalDate day, MetricValue judge, MetricValue expert) {
    }

    @WithSession
    public Uni<MetricAgreement> get(GetAgreementRequest request) {
        Violations v = new Violations();
        v.requireText(request.getProjectId(), "project_id", 64);
        UUID metricId = null;
        try {
            metricId = UUID.fromString(request.getMetricId());
        } catch (IllegalArgumentException e) {
            v.add("metric_id", "must be a metric id (a UUID) (was \"" + request.getMetricId() + "\")");
        }
        v.check(request.getVersion() < 0, "version", "must be 0 (every version) or a version number");
        v.check(request.hasDeltaThreshold() && request.getDeltaThreshold() < 0, "delta_threshold", "must be 0 or more");
        v.check(request.getConfidenceLevel() < 0 || request.getConfidenceLevel() >= 1, "confidence_level",
                "must be in (0, 1); 0 means 0.95");
        v.throwIfAny();
        double level = request.getConfidenceLevel() == 0 ? 0.95 : request.getConfidenceLevel();
        UUID metric = metricId;
        return MetricSettings.<MetricSettings>findById(metric).chain(settings -> labelled(request, metric)
                .map(rows -> {
                    if (rows.isEmpty() && settings == null) {
                        throw ApiException.notFound("no evaluations or settings of metric " + request.getMetricId()
                                + " in project \"" + request.getProjectId() + "\" have reached the alignment-service");
                    }
                    OutputType type = rows.isEmpty() ? outputTypeOf(settings) : rows.get(0).type();
                    double delta = request.hasDeltaThreshold() ? request.getDeltaThreshold()
                            : settings == null ? 0 : policyOf(settings).getDeltaThreshold();
                    return agreement(request, type, delta, level, rows.stream().map(Row::judgment).toList());
                }));
    }

    private static MetricAgreement agreement(GetAgreementRequest request, OutputType type, double delta, double level,
            List<LabelledJudgment> judgments) {
        Map<Integer, List<LabelledJudgment>> byVersion = new TreeMap<>(Comparator.reverseOrder());
        judgments.forEach(j -> byVersion.computeIfAbsent(j.version(), k -> new ArrayList<>()).add(j));
        var response = MetricAgreement.newBuilder().setProjectId(request.getProjectId())
                .setMetricId(request.getMetricId()).setOutputType(type).setDeltaThreshold(delta);
        byVersion.forEach((version, ofVersion) -> {
            var versionAgreement = VersionAgreement.newBuilder().setVersion(version)
                    .setOverall(JudgeExpertAgreement.of(type, pairs(ofVersion), delta, level));
            if (request.getIncludeDaily()) {
                Map<LocalDate, List<LabelledJudgment>> byDay = new TreeMap<>();
                ofVersion.forEach(j -> byDay.computeIfAbsent(j.day(), k -> new ArrayList<>()).add(j));
                byDay.forEach((day, ofDay) -> versionAgreement.addDaily(DailyAgreement.newBuilder()
                        .setDate(day.toString()).setStats(JudgeExpertAgreement.of(type, pairs(ofDay), delta, level))));
            }
            response.addVersions(versionAgreement);
        });
        return response.build();
    }

    private record Row(LabelledJudgment judgment, OutputType type) {
    }

    private static Uni<List<Row>> labelled(GetAgreementRequest request, UUID metricId) {
        StringBuilder hql = new StringBuilder("select a, e from ResolvedAnnotation a, JudgedEvaluation e"
                + " where e.id = a.evaluationId and a.metricId = :metric and a.projectId = :project");
        if (request.getVersion() > 0) {
            hql.append(" and a.metricVersion = :version");
        }
        if (request.getEvaluationTime().hasStartTime()) {
            hql.append(" and e.evaluatedAt >= :from");
        }
        if (request.getEvaluationTime().hasEndTime()) {
            hql.append(" and e.evaluatedAt < :to");
        }
        return Panache.getSession().chain(session -> {
            var query = session.createQuery(hql.toString(), Object[].class)
                    .setParameter("metric", metricId).setParameter("project", request.getProjectId());
            if (request.getVersion() > 0) {
                query.setParameter("version", request.getVersion());
            }
            if (request.getEvaluationTime().hasStartTime()) {
                query.setParameter("from", ProtoJson.offsetDateTime(request.getEvaluationTime().getStartTime()));
            }
            if (request.getEvaluationTime().hasEndTime()) {
                query.setParameter("to", ProtoJson.offsetDateTime(request.getEvaluationTime().getEndTime()));
            }
            return query.getResultList();
        }).map(rows -> rows.stream().map(row -> {
            ResolvedAnnotation a = (ResolvedAnnotation) row[0];
            JudgedEvaluation e = (JudgedEvaluation) row[1];
            return new Row(new LabelledJudgment(a.metricVersion, e.evaluatedAt.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate(),
                    ProtoJson.parse(a.judgeValueJson, MetricValue.getDefaultInstance()),
                    ProtoJson.parse(a.expectedValueJson, MetricValue.getDefaultInstance())),
                    ProtoJson.parse(e.outputTypeJson, OutputType.getDefaultInstance()));
        }).toList());
    }

    private static List<Pair> pairs(List<LabelledJudgment> judgments) {
        return judgments.stream().map(j -> new Pair(j.judge(), j.expert())).toList();
    }

    private static OutputType outputTypeOf(MetricSettings settings) {
        return ProtoJson.parse(settings.outputTypeJson, OutputType.getDefaultInstance());
    }

    private static AlignmentPolicy policyOf(MetricSettings settings) {
        return ProtoJson.parse(settings.alignmentPolicyJson, AlignmentPolicy.getDefaultInstance());
    }
}
