package io.plumbline.annotation.feedback;

import io.plumbline.annotation.Ids;
import io.plumbline.annotation.intake.EvaluationEntity;
import io.plumbline.annotation.queue.AssignmentEntity;
import io.plumbline.annotation.queue.ItemCounters;
import io.plumbline.annotation.queue.ItemEntity;
import io.plumbline.annotation.queue.ItemViews;
import io.plumbline.annotation.queue.QueueEntity;
import io.plumbline.annotation.resolution.ResolutionSettingsService;
import io.plumbline.annotation.resolution.Resolutions;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.annotation.v1.AdjudicateRequest;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackResponse;
import io.plumbline.proto.annotation.v1.UpdateFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.annotation.v1.WithdrawFeedbackRequest;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.judge.v1.Evaluation;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A reviewer's feedback: submit, update, withdraw while the item is unresolved. Every change locks the item, recounts
 * it and applies the resolution rule in the same transaction, so the resolution and its event commit with the feedback
 * that completed it.
 */
@ApplicationScoped
public class FeedbackService {

    private final FeedbackRules rules;
    private final Resolutions resolutions;
    private final ResolutionSettingsService settings;
    private final ItemViews views;
    private final Pool pool;

    FeedbackService(FeedbackRules rules, Resolutions resolutions, ResolutionSettingsService settings, ItemViews views,
            Pool pool) {
        this.pool = pool;
        this.rules = rules;
        this.resolutions = resolutions;
        this.settings = settings;
        this.views = views;
    }

    /**
     * The hot path of reviewing, on the reactive client rather than the Hibernate session ({@link FeedbackStore}): the
     * item locked with its evaluation and the caller's assignment, the item's other feedback only when it has some;
     * then one statement writing the feedback, the assignment, the item's counters (from the locked row: one review
     * more, the caller's open assignment closed) and, when the rule resolves the item, the annotation and its event.
     * The answer is built from what the transaction holds.
     */
    public Uni<SubmitFeedbackResponse> submit(Caller caller, SubmitFeedbackRequest r) {
        UUID itemId = QueueEntity.parseId(r.getItemId(), "item_id");
        return pool.withTransaction(connection -> FeedbackStore.lock(connection, itemId, caller.id()).chain(locked -> {
            if (locked == null || !locked.item().projectId.equals(r.getProjectId())) {
                throw ApiException.notFound("item " + r.getItemId() + " does not exist in project \""
                        + r.getProjectId() + "\"");
            }
            ItemEntity item = locked.item();
            requireUnresolved(item, "give feedback on");
            if (!ReviewItem.Status.STATUS_OPEN.name().equals(item.status)) {
                throw ApiException.failedPrecondition("item " + item.id + " has all the reviews it needs and awaits "
                        + "adjudication by an admin");
            }
            Evaluation evaluation = locked.evaluation();
            Violations v = new Violations();
            rules.check(evaluation, r.getVerdict(), r.getExpectedValue(), r.hasExpectedValue(), r.getCritique(),
                    r.getTagsList(), v);
            v.throwIfAny();
            Uni<List<FeedbackEntity>> others = item.reviewCount == 0 ? Uni.createFrom().item(List.of())
                    : FeedbackStore.feedbackOf(connection, item.id);
            return others.chain(existing -> {
                if (existing.stream().anyMatch(f -> f.reviewerId.equals(caller.id()))) {
                    throw ApiException.alreadyExists("reviewer " + caller.id() + " already gave feedback on item "
                            + item.id + "; change it with UpdateFeedback");
                }
                boolean holdsSlot = FeedbackStore.holdsSlot(locked);
                if (!holdsSlot && !ItemCounters.hasRoomFor(item, caller.id())) {
                    throw ApiException.failedPrecondition("item " + item.id + " already has the "
                            + item.requiredReviews + " reviewer(s) it needs");
                }
                FeedbackEntity f = new FeedbackEntity();
                f.id = Ids.newId();
                f.projectId = item.projectId;
                f.itemId = item.id;
                f.reviewerId = caller.id();
                f.createdAt = ProtoJson.now();
                f.revision = 1;
                apply(f, evaluation, r.getVerdict(), r.getExpectedValue(), r.getCritique(), r.getTagsList());
                ItemCounters.reviewed(item, caller.id(), holdsSlot);
                List<FeedbackEntity> feedback = new ArrayList<>(existing);
                feedback.add(f);
                Resolutions.Decision decision = Resolutions.decide(item, evaluation, feedback, item.settings());
                return FeedbackStore.write(connection, f, item, decision).map(ignored ->
                        SubmitFeedbackResponse.newBuilder().setFeedback(FeedbackViews.toProto(f))
                                .setItem(ItemViews.build(item, caller, feedback, false, evaluation, null,
                                        decision.annotation()))
                                .build());
            });
        }));
    }

    @WithTransaction
    public Uni<SubmitFeedbackResponse> update(Caller caller, UpdateFeedbackRequest r) {
        return ownFeedback(caller, r.getProjectId(), r.getFeedbackId()).chain(found ->
                ItemEntity.lockInProject(r.getProjectId(), found.itemId.toString()).chain(item -> {
                    requireUnresolved(item, "change feedback on");
                    return FeedbackEntity.<FeedbackEntity>findById(found.id).chain(f -> {
                        if (r.getExpectedRevision() != 0 && r.getExpectedRevision() != f.revision) {
                            throw ApiException.aborted("feedback " + f.id + " changed since revision "
                                    + r.getExpectedRevision() + ": it is at revision " + f.revision
                                    + "; read it again and retry", Map.of("revision", Long.toString(f.revision)));
                        }
                        return evaluationOf(item).chain(evaluation -> {
                            Violations v = new Violations();
                            rules.check(evaluation, r.getVerdict(), r.getExpectedValue(), r.hasExpectedValue(),
                                    r.getCritique(), r.getTagsList(), v);
                            v.throwIfAny();
                            apply(f, evaluation, r.getVerdict(), r.getExpectedValue(), r.getCritique(), r.getTagsList());
                            f.revision++;
                            return FeedbackEntity.<FeedbackEntity>list("itemId = ?1 order by createdAt", item.id)
                                    .chain(feedback -> settle(item, feedback))
                                    .chain(() -> respond(f, item, caller));
                        });
                    });
                }));
    }

    /** Withdraws the caller's feedback; the slot returns to the pool and the item is open again. */
    @WithTransaction
    public Uni<ReviewItem> withdraw(Caller caller, WithdrawFeedbackRequest r) {
        return ownFeedback(caller, r.getProjectId(), r.getFeedbackId()).chain(found ->
                ItemEntity.lockInProject(r.getProjectId(), found.itemId.toString()).chain(item -> {
                    requireUnresolved(item, "withdraw feedback on");
                    return FeedbackEntity.<FeedbackEntity>findById(found.id).call(f -> f.delete())
                            .chain(() -> AssignmentEntity.<AssignmentEntity>list("itemId", item.id))
                            .chain(assignments -> FeedbackEntity.<FeedbackEntity>list("itemId = ?1 and id <> ?2 order by createdAt",
                                    item.id, found.id).chain(feedback -> {
                                assignments.stream().filter(a -> a.reviewerId.equals(caller.id()))
                                        .forEach(a -> a.state = AssignmentEntity.SKIPPED);
                                ItemCounters.recount(item, feedback, assignments);
                                return settle(item, feedback);
                            }))
                            .chain(() -> views.view(item, caller, false));
                }));
    }

    @WithTransaction
    public Uni<ReviewItem> adjudicate(Caller caller, AdjudicateRequest r) {
        return resolutions.adjudicate(caller, r).chain(item -> views.view(item, caller, false));
    }

    private Uni<ItemEntity> settle(ItemEntity item, List<FeedbackEntity> feedback) {
        return settings.inForce(item).chain(s -> resolutions.settle(item, feedback, s));
    }

    private Uni<SubmitFeedbackResponse> respond(FeedbackEntity f, ItemEntity item, Caller caller) {
        return views.view(item, caller, false).map(view -> SubmitFeedbackResponse.newBuilder()
                .setFeedback(FeedbackViews.toProto(f)).setItem(view).build());
    }

    private static void apply(FeedbackEntity f, Evaluation evaluation, Verdict verdict, MetricValue expected,
            String critique, List<String> tags) {
        f.verdict = verdict.name();
        boolean incorrect = verdict == Verdict.VERDICT_INCORRECT;
        f.expectedValueJson = incorrect ? ProtoJson.print(expected) : null;
        MetricValue value = incorrect ? expected : evaluation.getValue();
        f.setValue(value, ProtoJson.print(value));
        f.critique = critique.strip();
        f.tags = String.join(",", tags);
        f.updatedAt = ProtoJson.now();
    }

    private static Uni<FeedbackEntity> ownFeedback(Caller caller, String projectId, String feedbackId) {
        UUID id = QueueEntity.parseId(feedbackId, "feedback_id");
        return FeedbackEntity.<FeedbackEntity>findById(id).map(f -> {
            // Another reviewer's feedback is reported as unknown: blind review hides even its existence.
            if (f == null || !f.projectId.equals(projectId) || !f.reviewerId.equals(caller.id())) {
                throw ApiException.notFound("feedback " + feedbackId + " of reviewer " + caller.id()
                        + " does not exist in project \"" + projectId + "\"");
            }
            return f;
        });
    }

    private static void requireUnresolved(ItemEntity item, String what) {
        if (item.resolved()) {
            throw ApiException.failedPrecondition("item " + item.id + " is resolved (annotation " + item.annotationId
                    + "); cannot " + what + " it any more: an admin can override the resolution with Adjudicate");
        }
    }

    private static Uni<Evaluation> evaluationOf(ItemEntity item) {
        return EvaluationEntity.<EvaluationEntity>findById(item.evaluationId).map(EvaluationEntity::toEvaluation);
    }
}
