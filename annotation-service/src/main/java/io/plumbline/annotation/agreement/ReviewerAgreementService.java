package io.plumbline.annotation.agreement;

import io.plumbline.annotation.queue.FillStrategies;
import io.plumbline.annotation.queue.QueueEntity;
import io.plumbline.annotation.resolution.AnnotationEntity;
import io.plumbline.annotation.resolution.ResolutionConfigEntity;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.common.stats.InterRaterAgreement;
import io.plumbline.common.stats.InterRaterAgreement.Coefficient;
import io.plumbline.common.stats.InterRaterAgreement.Level;
import io.plumbline.common.stats.InterRaterAgreement.Pair;
import io.plumbline.proto.annotation.v1.AgreementCoefficient;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.ConsensusAgreement;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.annotation.v1.GetReviewerAgreementRequest;
import io.plumbline.proto.annotation.v1.PairwiseAgreement;
import io.plumbline.proto.annotation.v1.ReviewerAgreement;
import io.plumbline.proto.common.v1.MetricValue;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Agreement between the reviewers of one metric on its resolved items (common's {@link InterRaterAgreement}): overall,
 * per pair of reviewers, and each reviewer against the resolved consensus. An adjudicator's decision is not a rating.
 */
@ApplicationScoped
public class ReviewerAgreementService {

    @WithSession
    public Uni<ReviewerAgreement> agreement(GetReviewerAgreementRequest r) {
        if (r.getMetricId().isEmpty()) {
            throw ApiException.invalid("metric_id", "is required");
        }
        StringBuilder q = new StringBuilder("projectId = :project and metricId = :metric");
        Map<String, Object> p = new HashMap<>();
        p.put("project", r.getProjectId());
        p.put("metric", r.getMetricId());
        if (!r.getQueueId().isEmpty()) {
            q.append(" and queueId = :queue");
            p.put("queue", QueueEntity.parseId(r.getQueueId(), "queue_id"));
        }
        if (r.hasResolveTime() && r.getResolveTime().hasStartTime()) {
            q.append(" and resolvedAt >= :from");
            p.put("from", ProtoJson.offsetDateTime(r.getResolveTime().getStartTime()));
        }
        if (r.hasResolveTime() && r.getResolveTime().hasEndTime()) {
            q.append(" and resolvedAt < :to");
            p.put("to", ProtoJson.offsetDateTime(r.getResolveTime().getEndTime()));
        }
        return ResolutionConfigEntity.<ResolutionConfigEntity>find("projectId = ?1 and metricId = ?2",
                        r.getProjectId(), r.getMetricId()).firstResult()
                .chain(config -> AnnotationEntity.<AnnotationEntity>list(q.toString(), p).map(rows -> compute(r,
                        rows.stream().map(AnnotationEntity::toProto).toList(),
                        config == null ? 0 : config.settings().getNumericTolerance())));
    }

    /** One resolved item: each reviewer's value (in feedback order) and the resolved one. */
    private record Unit(Map<String, MetricValue> ratings, MetricValue resolved) {
    }

    static ReviewerAgreement compute(GetReviewerAgreementRequest r, List<Annotation> annotations, double tolerance) {
        List<Unit> units = new ArrayList<>();
        for (Annotation a : annotations) {
            Map<String, MetricValue> ratings = new LinkedHashMap<>();
            for (Critique c : a.getCritiquesList()) {
                if (!c.getAdjudication()) {
                    ratings.put(c.getReviewerId(), c.getValue());
                }
            }
            units.add(new Unit(ratings, a.getExpectedValue()));
        }
        boolean interval = !annotations.isEmpty() && FillStrategies.numeric(annotations.get(0).getJudgeValue()) != null;
        Level level = interval ? Level.INTERVAL : Level.NOMINAL;
        List<Unit> multi = units.stream().filter(u -> u.ratings().size() >= 2).toList();
        TreeSet<String> reviewers = new TreeSet<>();
        multi.forEach(u -> reviewers.addAll(u.ratings().keySet()));
        var result = ReviewerAgreement.newBuilder()
                .setProjectId(r.getProjectId())
                .setMetricId(r.getMetricId())
                .setMeasurementLevel(interval ? ReviewerAgreement.MeasurementLevel.MEASUREMENT_LEVEL_INTERVAL
                        : ReviewerAgreement.MeasurementLevel.MEASUREMENT_LEVEL_NOMINAL)
                .setItems(multi.size())
                .setRatings(multi.stream().mapToLong(u -> u.ratings().size()).sum())
                .setReviewers(reviewers.size());
        List<List<Object>> rated = multi.stream().map(u -> u.ratings().values().stream()
                .map(v -> rating(v, interval)).toList()).toList();
        result.setKrippendorffAlpha(proto(InterRaterAgreement.krippendorffAlpha(rated, level)));
        if (!interval) {
            result.setFleissKappa(proto(InterRaterAgreement.fleissKappa(rated)));
            if (reviewers.size() == 2) {
                result.setCohenKappa(proto(InterRaterAgreement.cohenKappa(
                        pairs(multi, reviewers.first(), reviewers.last(), false))));
            }
        }
        List<String> ids = List.copyOf(reviewers);
        for (int i = 0; i < ids.size(); i++) {
            for (int j = i + 1; j < ids.size(); j++) {
                String a = ids.get(i);
                String b = ids.get(j);
                List<Unit> shared = multi.stream().filter(u -> u.ratings().containsKey(a) && u.ratings().containsKey(b))
                        .toList();
                if (shared.isEmpty()) {
                    continue;
                }
                var pair = PairwiseAgreement.newBuilder().setReviewerA(a).setReviewerB(b)
                        .setKrippendorffAlpha(proto(InterRaterAgreement.krippendorffAlpha(shared.stream()
                                .map(u -> List.of(rating(u.ratings().get(a), interval), rating(u.ratings().get(b), interval)))
                                .toList(), level)))
                        .setPercentAgreement(shared.stream().filter(u -> OutputTypes.agree(u.ratings().get(a),
                                u.ratings().get(b), tolerance)).count() / (double) shared.size());
                if (!interval) {
                    pair.setCohenKappa(proto(InterRaterAgreement.cohenKappa(pairs(shared, a, b, false))));
                }
                result.addPairs(pair);
            }
        }
        TreeSet<String> everyone = new TreeSet<>();
        units.forEach(u -> everyone.addAll(u.ratings().keySet()));
        for (String reviewer : everyone) {
            List<Unit> theirs = units.stream().filter(u -> u.ratings().containsKey(reviewer)).toList();
            var consensus = ConsensusAgreement.newBuilder().setReviewerId(reviewer).setN(theirs.size())
                    .setPercentAgreement(theirs.stream().filter(u -> OutputTypes.agree(u.ratings().get(reviewer),
                            u.resolved(), tolerance)).count() / (double) theirs.size())
                    .setKrippendorffAlpha(proto(InterRaterAgreement.krippendorffAlpha(theirs.stream()
                            .map(u -> List.of(rating(u.ratings().get(reviewer), interval), rating(u.resolved(), interval)))
                            .toList(), level)));
            if (interval) {
                consensus.setMeanAbsoluteDifference(theirs.stream().mapToDouble(u -> Math.abs(
                        FillStrategies.numeric(u.ratings().get(reviewer)) - FillStrategies.numeric(u.resolved())))
                        .average().orElse(0));
            } else {
                consensus.setCohenKappa(proto(InterRaterAgreement.cohenKappa(theirs.stream()
                        .map(u -> new Pair<Object>(rating(u.ratings().get(reviewer), false), rating(u.resolved(), false)))
                        .toList())));
            }
            result.addPerReviewer(consensus);
        }
        return result.build();
    }

    private static List<Pair<Object>> pairs(List<Unit> units, String a, String b, boolean interval) {
        return units.stream().filter(u -> u.ratings().containsKey(a) && u.ratings().containsKey(b))
                .map(u -> new Pair<>(rating(u.ratings().get(a), interval), rating(u.ratings().get(b), interval)))
                .toList();
    }

    private static Object rating(MetricValue value, boolean interval) {
        return interval ? (Object) FillStrategies.numeric(value) : OutputTypes.format(value);
    }

    private static AgreementCoefficient proto(Coefficient c) {
        return AgreementCoefficient.newBuilder().setValue(c.value()).setN(c.n()).setRatings(c.ratings())
                .setDefined(c.defined()).build();
    }
}
