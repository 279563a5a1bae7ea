package io.plumbline.annotation.resolution;

import io.plumbline.annotation.Ids;
import io.plumbline.annotation.event.AnnotationEvents;
import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.feedback.FeedbackRules;
import io.plumbline.annotation.intake.EvaluationEntity;
import io.plumbline.annotation.queue.ItemEntity;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.Violations;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.annotation.v1.AdjudicateRequest;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.judge.v1.Evaluation;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Turns an item's reviews into a resolved annotation by its rule, and lets an admin adjudicate or override. Every
 * resolution and every change of one leaves as an {@code AnnotationEvent} through the outbox, in the same transaction.
 */
@ApplicationScoped
public class Resolutions {

    private final AnnotationEvents events;
    private final FeedbackRules feedbackRules;
    private final ResolutionSettingsService settingsService;

    Resolutions(AnnotationEvents events, FeedbackRules feedbackRules, ResolutionSettingsService settingsService) {
        this.events = events;
        this.feedbackRules = feedbackRules;
        this.settingsService = settingsService;
    }

    /**
     * Applies the rule to the item's current feedback (item locked): it stays open, awaits adjudication, or resolves.
     * A resolved item is left as it is.
     */
    public Uni<ItemEntity> settle(ItemEntity item, List<FeedbackEntity> feedback, ResolutionSettings settings) {
        if (item.resolved()) {
            return Uni.createFrom().item(item);
        }
        List<Resolver.Vote> votes = feedback.stream().sorted(Comparator.comparing(f -> f.createdAt))
                .map(f -> new Resolver.Vote(f.reviewerId, f.value())).toList();
        return switch (Resolver.decide(settings, votes)) {
            case Resolver.Pending p -> {
                item.status = ReviewItem.Status.STATUS_OPEN.name();
                yield Uni.createFrom().item(item);
            }
            case Resolver.NeedsAdjudication n -> {
                item.status = ReviewItem.Status.STATUS_AWAITING_ADJUDICATION.name();
                yield Uni.createFrom().item(item);
            }
            case Resolver.Resolved r -> EvaluationEntity.<EvaluationEntity>findById(item.evaluationId)
                    .chain(evaluation -> resolve(item, evaluation.toEvaluation(), feedback, settings, r.value(), null));
        };
    }

    /**
     * What {@link #decide} made of an item's reviews: the annotation row and its event when they resolved it (both
     * null otherwise), for a caller that writes them itself.
     */
    public record Decision(AnnotationEntity row, Annotation annotation, AnnotationEvent event) {

        public boolean resolved() {
            return row != null;
        }
    }

    /**
     * {@link #settle} without the session: applies the rule to the item's current feedback (item locked) and sets its
     * status; when it resolves, the item is marked resolved and the annotation row and event to write are returned.
     */
    public static Decision decide(ItemEntity item, Evaluation evaluation, List<FeedbackEntity> feedback,
            ResolutionSettings settings) {
        if (item.resolved()) {
            return new Decision(null, null, null);
        }
        List<Resolver.Vote> votes = feedback.stream().sorted(Comparator.comparing(f -> f.createdAt))
                .map(f -> new Resolver.Vote(f.reviewerId, f.value())).toList();
        switch (Resolver.decide(settings, votes)) {
            case Resolver.Pending p -> item.status = ReviewItem.Status.STATUS_OPEN.name();
            case Resolver.NeedsAdjudication n -> item.status = ReviewItem.Status.STATUS_AWAITING_ADJUDICATION.name();
            case Resolver.Resolved r -> {
                OffsetDateTime now = ProtoJson.now();
                UUID eventId = AnnotationEvents.newEventId();
                UUID annotationId = Ids.newId();
                Annotation annotation = resolved(annotationId, item, evaluation, feedback, settings, r.value(), now,
                        eventId);
                AnnotationEntity row = newRow(item, evaluation, annotationId, now);
                fill(row, annotation, now, eventId);
                markResolved(item, annotationId, now);
                return new Decision(row, annotation, AnnotationEvents.event(eventId, annotation,
                        AnnotationEvent.Type.TYPE_RESOLVED, null));
            }
        }
        return new Decision(null, null, null);
    }

    /** A new annotation row of the item (its content is set by {@link #fill}). */
    public static AnnotationEntity newRow(ItemEntity item, Evaluation evaluation, UUID id, OffsetDateTime resolvedAt) {
        AnnotationEntity row = new AnnotationEntity();
        row.id = id;
        row.projectId = item.projectId;
        row.itemId = item.id;
        row.queueId = item.queueId;
        row.evaluationId = item.evaluationId;
        row.metricId = item.metricId;
        row.metricVersion = evaluation.getMetricVersion().getVersion();
        row.recordId = item.recordId;
        row.resolvedAt = resolvedAt;
        return row;
    }

    /** The item as resolved by annotation {@code annotationId}. */
    public static void markResolved(ItemEntity item, UUID annotationId, OffsetDateTime now) {
        item.status = ReviewItem.Status.STATUS_RESOLVED.name();
        item.resolvedAt = now;
        item.annotationId = annotationId;
    }

    /** An admin resolves an item awaiting adjudication, or overrides a resolution (superseding its event). */
    public Uni<ItemEntity> adjudicate(Caller caller, AdjudicateRequest request) {
        caller.requireAdmin("adjudicating");
        return ItemEntity.lockInProject(request.getProjectId(), request.getItemId()).chain(item -> {
            if (ReviewItem.Status.STATUS_OPEN.name().equals(item.status)) {
                throw ApiException.failedPrecondition("item " + item.id + " does not need adjudication: it is still open "
                        + "for reviews (" + item.reviewCount + " of " + item.requiredReviews + ")");
            }
            return EvaluationEntity.<EvaluationEntity>findById(item.evaluationId).chain(evaluationRow -> {
                Evaluation evaluation = evaluationRow.toEvaluation();
                Violations v = new Violations();
                String wrong = OutputTypes.violation(evaluation.getOutputType(), request.getValue());
                if (wrong != null) {
                    v.add("value", wrong);
                } else if (!request.getValue().equals(evaluation.getValue()) && request.getCritique().isBlank()) {
                    v.add("critique", "is required when the value differs from the judge's");
                }
                if (!request.getCritique().isBlank()) {
                    feedbackRules.critique(request.getCritique(), "critique", v);
                }
                v.throwIfAny();
                Adjudication adjudication = new Adjudication(caller.id(), request.getValue(), request.getCritique(),
                        request.getTagsList(), ProtoJson.now());
                return settingsService.inForce(item).chain(settings ->
                        FeedbackEntity.<FeedbackEntity>list("itemId = ?1 order by createdAt", item.id).chain(feedback ->
                                item.resolved()
                                        ? override(item, evaluation, feedback, settings, adjudication)
                                        : resolve(item, evaluation, feedback, settings, request.getValue(), adjudication)));
            });
        });
    }

    private record Adjudication(String adminId, MetricValue value, String critique, List<String> tags,
            OffsetDateTime time) {
    }

    private Uni<ItemEntity> resolve(ItemEntity item, Evaluation evaluation, List<FeedbackEntity> feedback,
            ResolutionSettings settings, MetricValue value, Adjudication adjudication) {
        OffsetDateTime now = ProtoJson.now();
        UUID eventId = AnnotationEvents.newEventId();
        UUID annotationId = Ids.newId();
        Annotation annotation = annotation(annotationId, item, evaluation, feedback, settings, value, adjudication,
                1, now, now, eventId);
        AnnotationEntity row = newRow(item, evaluation, annotationId, now);
        fill(row, annotation, now, eventId);
        markResolved(item, annotationId, now);
        return row.persist()
                .call(() -> events.emit(eventId, annotation, AnnotationEvent.Type.TYPE_RESOLVED, null))
                .replaceWith(item);
    }

    private Uni<ItemEntity> override(ItemEntity item, Evaluation evaluation, List<FeedbackEntity> feedback,
            ResolutionSettings settings, Adjudication adjudication) {
        return AnnotationEntity.<AnnotationEntity>findById(item.annotationId).chain(row -> {
            Annotation previous = row.toProto();
            OffsetDateTime now = ProtoJson.now();
            UUID eventId = AnnotationEvents.newEventId();
            Annotation annotation = annotation(row.id, item, evaluation, feedback, settings, adjudication.value(),
                    adjudication, previous.getRevision() + 1, row.resolvedAt, now, eventId);
            String supersedes = row.lastEventId;
            fill(row, annotation, now, eventId);
            item.resolvedAt = now;
            return events.emit(eventId, annotation, AnnotationEvent.Type.TYPE_RESOLUTION_CHANGED, supersedes)
                    .replaceWith(item);
        });
    }

    /** The annotation resolved by the rule in force from the item's feedback (no adjudication). */
    public static Annotation resolved(UUID id, ItemEntity item, Evaluation evaluation, List<FeedbackEntity> feedback,
            ResolutionSettings settings, MetricValue value, OffsetDateTime now, UUID eventId) {
        return annotation(id, item, evaluation, feedback, settings, value, null, 1, now, now, eventId);
    }

    /**
     * An annotation imported as resolved: the value of the file, no rule; every feedback on the item is kept as a
     * critique. {@code revision} and {@code resolvedAt} continue an existing annotation when the import changes it.
     */
    public static Annotation imported(UUID id, ItemEntity item, Evaluation evaluation, List<FeedbackEntity> feedback,
            MetricValue value, double tolerance, int revision, OffsetDateTime resolvedAt, OffsetDateTime now,
            UUID eventId) {
        ResolutionSettings noRule = ResolutionSettings.newBuilder().setNumericTolerance(tolerance).build();
        return annotation(id, item, evaluation, feedback, noRule, value, null, revision, resolvedAt, now, eventId)
                .toBuilder().setSource(Annotation.Source.SOURCE_IMPORT).build();
    }

    /** The columns of an annotation row that follow its content. */
    public static void fill(AnnotationEntity row, Annotation annotation, OffsetDateTime now, UUID eventId) {
        row.judgeCorrect = annotation.getJudgeCorrect();
        row.rule = annotation.getRule().name();
        row.revision = annotation.getRevision();
        row.content = annotation.toByteArray();
        row.updatedAt = now;
        row.lastEventId = eventId.toString();
    }

    private static Annotation annotation(UUID id, ItemEntity item, Evaluation evaluation, List<FeedbackEntity> feedback,
            ResolutionSettings settings, MetricValue value, Adjudication adjudication, int revision,
            OffsetDateTime resolvedAt, OffsetDateTime now, UUID eventId) {
        double tolerance = settings.getNumericTolerance();
        List<Critique> critiques = new ArrayList<>();
        List<String> reviewers = new ArrayList<>();
        for (FeedbackEntity f : feedback) {
            MetricValue stood = f.value();
            critiques.add(Critique.newBuilder()
                    .setReviewerId(f.reviewerId)
                    .setVerdict(Verdict.valueOf(f.verdict))
                    .setValue(stood)
                    .setCritique(f.critique)
                    .addAllTags(f.tagList())
                    .setAgreesWithResolution(OutputTypes.agree(stood, value, tolerance))
                    .setTime(ProtoJson.timestamp(f.updatedAt))
                    .build());
            reviewers.add(f.reviewerId);
        }
        if (adjudication != null) {
            critiques.add(Critique.newBuilder()
                    .setReviewerId(adjudication.adminId())
                    .setVerdict(adjudication.value().equals(evaluation.getValue()) ? Verdict.VERDICT_CORRECT
                            : Verdict.VERDICT_INCORRECT)
                    .setValue(adjudication.value())
                    .setCritique(adjudication.critique())
                    .addAllTags(adjudication.tags())
                    .setAdjudication(true)
                    .setAgreesWithResolution(true)
                    .setTime(ProtoJson.timestamp(adjudication.time()))
                    .build());
            if (!reviewers.contains(adjudication.adminId())) {
                reviewers.add(adjudication.adminId());
            }
        }
        // The deciding ones first: the adjudication, then the reviewers whose value is the resolved one.
        critiques.sort(Comparator.comparing((Critique c) -> !c.getAdjudication())
                .thenComparing(c -> !c.getAgreesWithResolution()));
        var b = Annotation.newBuilder()
                .setId(id.toString())
                .setProjectId(item.projectId)
                .setItemId(item.id.toString())
                .setQueueId(item.queueId.toString())
                .setEvaluationId(item.evaluationId)
                .setRecord(evaluation.getRecord())
                .setMetricVersion(evaluation.getMetricVersion())
                .setJudgeValue(evaluation.getValue())
                .setJudgeReasoning(evaluation.getReasoning())
                .setExpectedValue(value)
                .setJudgeCorrect(OutputTypes.agree(value, evaluation.getValue(), tolerance))
                .addAllCritiques(critiques)
                .addAllReviewerIds(reviewers)
                .setRule(settings.getRule())
                .setSource(Annotation.Source.SOURCE_REVIEW)
                .setRevision(revision)
                .setResolveTime(ProtoJson.timestamp(resolvedAt))
                .setUpdateTime(ProtoJson.timestamp(now))
                .setLastEventId(eventId.toString());
        if (settings.getRule() == ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT) {
            b.setPrincipalReviewerId(settings.getPrincipalReviewerId());
        }
        if (adjudication != null) {
            b.setAdjudicatedBy(adjudication.adminId());
        }
        return b.build();
    }
}
