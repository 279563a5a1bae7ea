package io.plumbline.annotation.imports;

import io.grpc.Status;
import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.feedback.FeedbackRules;
import io.plumbline.annotation.intake.EvaluationEntity;
import io.plumbline.annotation.queue.AssignmentEntity;
import io.plumbline.annotation.queue.ItemCounters;
import io.plumbline.annotation.queue.ItemEntity;
import io.plumbline.annotation.queue.QueueEntity;
import io.plumbline.annotation.queue.QueueFilling;
import io.plumbline.annotation.resolution.ResolutionSettingsService;
import io.plumbline.annotation.resolution.Resolutions;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.Violations;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.annotation.v1.ImportError;
import io.plumbline.proto.annotation.v1.ImportLabelsRequest;
import io.plumbline.proto.annotation.v1.ImportLabelsResponse;
import io.plumbline.proto.annotation.v1.LabelFormat;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.judge.v1.Evaluation;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Imports labels as reviewers' feedback, row by row: each row is validated like a SubmitFeedback (value typed by the
 * evaluation's output type, critique required when the value differs from the judge's, vague critiques refused), keyed
 * by (evaluation, reviewer). The same content again is unchanged, so re-importing a file changes nothing. Items that
 * reach their rule resolve (and emit their events) as with reviews. One transaction: all_or_nothing keeps nothing when
 * any row is refused.
 */
@ApplicationScoped
public class LabelImport {

    static final int MAX_ERRORS = 1000;
    static final int FLUSH_EVERY = 100;

    private final FeedbackRules rules;
    private final Resolutions resolutions;
    private final ResolutionSettingsService settings;
    private final QueueFilling filling;

    LabelImport(FeedbackRules rules, Resolutions resolutions, ResolutionSettingsService settings, QueueFilling filling) {
        this.rules = rules;
        this.resolutions = resolutions;
        this.settings = settings;
        this.filling = filling;
    }

    private enum Action { NEW, UPDATE, UNCHANGED, REFUSED }

    /** What a row would do, decided on the current state. */
    private record Plan(LabelFile.Row row, Action action, EvaluationEntity evaluation, Verdict verdict,
            MetricValue value, List<ImportError> errors) {
    }

    /** Running counts of one pass. */
    private static final class Tally {
        long imported;
        long updated;
        long unchanged;
        long resolved;
        final List<ImportError> errors = new ArrayList<>();
    }

    @WithTransaction
    public Uni<ImportLabelsResponse> importLabels(Caller caller, ImportLabelsRequest r) {
        caller.requireAdmin("importing labels");
        if (r.getFormat() == LabelFormat.LABEL_FORMAT_UNSPECIFIED || r.getFormat() == LabelFormat.UNRECOGNIZED) {
            throw ApiException.invalid("format", "is required: LABEL_FORMAT_CSV or LABEL_FORMAT_JSONL");
        }
        if (r.getAsResolved()) {
            throw Status.UNIMPLEMENTED.withDescription("as_resolved imports are not supported yet; import the labels "
                    + "as feedback and let the resolution rule decide").asRuntimeException();
        }
        LabelFile.Parsed parsed = LabelFile.parse(r.getFormat(), r.getContent().toString(StandardCharsets.UTF_8));
        Uni<QueueEntity> target = r.getQueueId().isEmpty() ? Uni.createFrom().nullItem()
                : QueueEntity.findInProject(r.getProjectId(), r.getQueueId());
        return target.chain(queue -> {
            boolean planOnly = r.getDryRun() || r.getAllOrNothing();
            return pass(caller, r, queue, parsed, !planOnly).chain(first -> {
                boolean refused = !first.errors.isEmpty();
                if (r.getDryRun() || (r.getAllOrNothing() && refused)) {
                    return Uni.createFrom().item(response(first, false));
                }
                if (!planOnly) {
                    return Uni.createFrom().item(response(first, true));
                }
                return pass(caller, r, queue, parsed, true).map(second -> {
                    if (!second.errors.isEmpty()) {
                        // A row refused only once earlier rows applied (their item resolved): keep nothing.
                        ImportError e = second.errors.get(0);
                        throw ApiException.failedPrecondition("line " + e.getLine() + ": " + e.getReason()
                                + " (after the rows before it were applied); nothing was kept");
                    }
                    return response(second, true);
                });
            });
        });
    }

    private Uni<Tally> pass(Caller caller, ImportLabelsRequest r, QueueEntity queue, LabelFile.Parsed parsed,
            boolean apply) {
        Tally tally = new Tally();
        tally.errors.addAll(parsed.errors());
        Map<String, Long> seen = new HashMap<>();
        long[] done = {0};
        return Multi.createFrom().iterable(parsed.rows()).onItem().transformToUniAndConcatenate(row ->
                        plan(r.getProjectId(), queue, row, seen).chain(plan -> {
                            switch (plan.action()) {
                                case REFUSED -> tally.errors.addAll(plan.errors());
                                case UNCHANGED -> tally.unchanged++;
                                case NEW -> tally.imported++;
                                case UPDATE -> tally.updated++;
                            }
                            if (!apply || plan.action() == Action.REFUSED || plan.action() == Action.UNCHANGED) {
                                return Uni.createFrom().voidItem();
                            }
                            return applyRow(caller, queue, plan).invoke(resolvedNow -> {
                                if (resolvedNow) {
                                    tally.resolved++;
                                }
                            }).chain(() -> ++done[0] % FLUSH_EVERY == 0 ? releaseSession() : Uni.createFrom().voidItem());
                        }))
                .collect().last().replaceWith(tally);
    }

    /**
     * Writes what the rows so far changed and forgets the loaded rows: without it, every query of a large import
     * would dirty-check every entity loaded before it (quadratic time). Entities held across rows are only read.
     */
    private static Uni<Void> releaseSession() {
        return Panache.getSession().chain(session -> session.flush().invoke(session::clear));
    }

    private Uni<Plan> plan(String projectId, QueueEntity queue, LabelFile.Row row, Map<String, Long> seen) {
        List<ImportError> errors = new ArrayList<>();
        String reviewer = row.get("reviewer").strip();
        String valueText = row.get("value").strip();
        if (reviewer.isEmpty()) {
            errors.add(LabelFile.error(row.line(), "reviewer", "is required"));
        }
        if (valueText.isEmpty()) {
            errors.add(LabelFile.error(row.line(), "value", "is required: the value the judge should have given"));
        }
        String evaluationId = row.get("evaluation_id").strip();
        String recordId = row.get("record_id").strip();
        String metric = row.get("metric").strip();
        if (evaluationId.isEmpty() && (recordId.isEmpty() || metric.isEmpty())) {
            errors.add(LabelFile.error(row.line(), "evaluation_id", "is required (or record_id with metric)"));
        }
        if (!errors.isEmpty()) {
            return refused(row, errors);
        }
        Uni<EvaluationEntity> found = !evaluationId.isEmpty()
                ? EvaluationEntity.<EvaluationEntity>findById(evaluationId)
                : EvaluationEntity.<EvaluationEntity>find("projectId = ?1 and recordId = ?2 and metricId = ?3 and "
                        + "status = 'STATUS_OK' order by evaluatedAt desc", projectId, recordId, metric).firstResult();
        return found.chain(e -> {
            if (e == null || !e.projectId.equals(projectId)) {
                return refused(row, List.of(evaluationId.isEmpty()
                        ? LabelFile.error(row.line(), "record_id", "no evaluation of metric " + metric + " for record "
                                + recordId)
                        : LabelFile.error(row.line(), "evaluation_id", "unknown evaluation " + evaluationId
                                + " in project \"" + projectId + "\"")));
            }
            Evaluation evaluation = e.toEvaluation();
            if (!metric.isEmpty() && !metric.equals(e.metricId) && !metric.equals(evaluation.getMetricName())) {
                return refused(row, List.of(LabelFile.error(row.line(), "metric", "evaluation " + e.id + " is of metric "
                        + e.metricId + " (" + evaluation.getMetricName() + "), not " + metric)));
            }
            if (evaluation.getStatus() != Evaluation.Status.STATUS_OK) {
                return refused(row, List.of(LabelFile.error(row.line(), "evaluation_id", "evaluation " + e.id
                        + " has status " + evaluation.getStatus() + ": only evaluations with a value are labelled")));
            }
            if (queue != null && queue.metricId != null && !queue.metricId.equals(e.metricId)) {
                return refused(row, List.of(LabelFile.error(row.line(), "metric", "queue " + queue.name
                        + " takes metric " + queue.metricId + "; evaluation " + e.id + " is of metric " + e.metricId)));
            }
            Long earlier = seen.putIfAbsent(e.id + "\n" + reviewer, row.line());
            if (earlier != null) {
                return refused(row, List.of(LabelFile.error(row.line(), "", "labels evaluation " + e.id + " by reviewer "
                        + reviewer + " again (line " + earlier + " did already)")));
            }
            MetricValue value = parseValue(evaluation.getOutputType(), valueText, row.line(), errors);
            if (value == null) {
                return refused(row, errors);
            }
            Verdict verdict = value.equals(evaluation.getValue()) ? Verdict.VERDICT_CORRECT : Verdict.VERDICT_INCORRECT;
            Violations v = new Violations();
            rules.check(evaluation, verdict, value, verdict == Verdict.VERDICT_INCORRECT, row.get("critique"),
                    row.tags(), v);
            if (!v.isEmpty()) {
                try {
                    v.throwIfAny();
                } catch (ApiException x) {
                    x.violations().forEach(f -> errors.add(LabelFile.error(row.line(),
                            f.field().equals("expected_value") ? "value" : f.field(), f.rule())));
                }
                return refused(row, errors);
            }
            return ItemEntity.<ItemEntity>find("projectId = ?1 and evaluationId = ?2", projectId, e.id).firstResult()
                    .chain(item -> item == null
                            ? Uni.createFrom().item(new Plan(row, Action.NEW, e, verdict, value, List.of()))
                            : FeedbackEntity.<FeedbackEntity>find("itemId = ?1 and reviewerId = ?2", item.id, reviewer)
                                    .<FeedbackEntity>firstResult().map(f -> decide(row, item, f, e, verdict, value)));
        });
    }

    private static Plan decide(LabelFile.Row row, ItemEntity item, FeedbackEntity existing, EvaluationEntity e,
            Verdict verdict, MetricValue value) {
        if (existing != null && existing.verdict.equals(verdict.name())
                && existing.valueJson.equals(ProtoJson.print(value))
                && existing.critique.equals(row.get("critique").strip())
                && existing.tags.equals(String.join(",", row.tags()))) {
            return new Plan(row, Action.UNCHANGED, e, verdict, value, List.of());
        }
        if (!ReviewItem.Status.STATUS_OPEN.name().equals(item.status)) {
            String why = item.resolved() ? "is resolved" : "awaits adjudication";
            return new Plan(row, Action.REFUSED, e, verdict, value, List.of(LabelFile.error(row.line(), "",
                    "item " + item.id + " of evaluation " + e.id + " " + why + "; its labels can no longer change")));
        }
        return new Plan(row, existing == null ? Action.NEW : Action.UPDATE, e, verdict, value, List.of());
    }

    /** Applies a NEW or UPDATE row; returns whether its item resolved now. */
    private Uni<Boolean> applyRow(Caller caller, QueueEntity target, Plan plan) {
        EvaluationEntity e = plan.evaluation();
        String reviewer = plan.row().get("reviewer").strip();
        return ItemEntity.<ItemEntity>find("projectId = ?1 and evaluationId = ?2", e.projectId, e.id).firstResult()
                .chain(item -> item != null ? ItemEntity.lockInProject(e.projectId, item.id.toString())
                        : queueFor(target, e).chain(queue -> filling.create(queue, e, ReviewItem.Source.SOURCE_IMPORT,
                                caller.id(), "")))
                .chain(item -> FeedbackEntity.<FeedbackEntity>list("itemId = ?1 order by createdAt", item.id)
                        .chain(feedback -> AssignmentEntity.<AssignmentEntity>list("itemId", item.id)
                                .chain(assignments -> {
                                    List<FeedbackEntity> all = new ArrayList<>(feedback);
                                    List<AssignmentEntity> held = new ArrayList<>(assignments);
                                    FeedbackEntity f = all.stream().filter(x -> x.reviewerId.equals(reviewer))
                                            .findFirst().orElse(null);
                                    if (f == null) {
                                        f = new FeedbackEntity();
                                        f.id = UUID.randomUUID();
                                        f.projectId = item.projectId;
                                        f.itemId = item.id;
                                        f.reviewerId = reviewer;
                                        f.createdAt = ProtoJson.now();
                                        f.revision = 1;
                                        all.add(f);
                                    } else {
                                        f.revision++;
                                    }
                                    f.verdict = plan.verdict().name();
                                    f.expectedValueJson = plan.verdict() == Verdict.VERDICT_INCORRECT
                                            ? ProtoJson.print(plan.value()) : null;
                                    f.valueJson = ProtoJson.print(plan.value());
                                    f.critique = plan.row().get("critique").strip();
                                    f.tags = String.join(",", plan.row().tags());
                                    f.imported = true;
                                    f.updatedAt = ProtoJson.now();
                                    AssignmentEntity a = held.stream().filter(x -> x.reviewerId.equals(reviewer))
                                            .findFirst().orElse(null);
                                    if (a == null) {
                                        a = new AssignmentEntity();
                                        a.itemId = item.id;
                                        a.reviewerId = reviewer;
                                        a.createdAt = f.updatedAt;
                                        a.leaseExpiresAt = f.updatedAt;
                                        a.reason = "imported";
                                        held.add(a);
                                    }
                                    a.state = AssignmentEntity.REVIEWED;
                                    all.sort(Comparator.comparing(x -> x.createdAt));
                                    ItemCounters.recount(item, all, held);
                                    AssignmentEntity assignment = a;
                                    return f.persist().call(() -> assignment.persist())
                                            .chain(() -> settings.inForce(item))
                                            .chain(s -> resolutions.settle(item, all, s))
                                            .map(ItemEntity::resolved);
                                })));
    }

    private static Uni<QueueEntity> queueFor(QueueEntity target, EvaluationEntity e) {
        if (target != null) {
            return Uni.createFrom().item(target);
        }
        return QueueEntity.<QueueEntity>find("projectId = ?1 and metricId = ?2 and metricDefault = true",
                e.projectId, e.metricId).firstResult().map(q -> {
                    if (q == null) {
                        throw ApiException.failedPrecondition("metric " + e.metricId + " has no default queue; name a "
                                + "queue_id for the import");
                    }
                    return q;
                });
    }

    /** The row's value typed by the output type, or null with an error. */
    static MetricValue parseValue(OutputType type, String text, long line, List<ImportError> errors) {
        MetricValue.Builder v = MetricValue.newBuilder();
        try {
            switch (type.getKindCase()) {
                case BOOLEAN -> {
                    String t = text.toLowerCase();
                    if (!t.equals("true") && !t.equals("false")) {
                        errors.add(LabelFile.error(line, "value", "must be true or false for a boolean metric (was \""
                                + text + "\")"));
                        return null;
                    }
                    v.setBoolean(t.equals("true"));
                }
                case CATEGORICAL -> v.setCategorical(text);
                case PERCENTAGE -> v.setPercentage(Double.parseDouble(text));
                case COUNT -> v.setCount(Long.parseLong(text));
                case DISCRETE -> v.setDiscrete(Long.parseLong(text));
                case KIND_NOT_SET -> {
                    errors.add(LabelFile.error(line, "value", "cannot be checked: the evaluation has no output type"));
                    return null;
                }
            }
        } catch (NumberFormatException x) {
            errors.add(LabelFile.error(line, "value", "must be a " + OutputTypes.describe(type) + " value (was \""
                    + text + "\")"));
            return null;
        }
        MetricValue value = v.build();
        String wrong = OutputTypes.violation(type, value);
        if (wrong != null) {
            errors.add(LabelFile.error(line, "value", wrong));
            return null;
        }
        return value;
    }

    private static Uni<Plan> refused(LabelFile.Row row, List<ImportError> errors) {
        return Uni.createFrom().item(new Plan(row, Action.REFUSED, null, null, null, errors));
    }

    private static ImportLabelsResponse response(Tally t, boolean committed) {
        List<ImportError> errors = t.errors.stream().sorted(Comparator.comparingLong(ImportError::getLine)).toList();
        return ImportLabelsResponse.newBuilder()
                .setImported(t.imported)
                .setUpdated(t.updated)
                .setUnchanged(t.unchanged)
                .setRejected(errors.stream().map(ImportError::getLine).distinct().count())
                .addAllErrors(errors.stream().limit(MAX_ERRORS).toList())
                .setErrorsTruncated(errors.size() > MAX_ERRORS)
                .setCommitted(committed)
                .setItemsResolved(committed ? t.resolved : 0)
                .build();
    }
}
