package io.plumbline.annotation.imports;

import io.plumbline.annotation.Ids;
import io.plumbline.annotation.event.AnnotationEvents;
import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.feedback.FeedbackRules;
import io.plumbline.annotation.imports.ImportStore.Judged;
import io.plumbline.annotation.imports.ImportStore.Queue;
import io.plumbline.annotation.queue.AssignmentEntity;
import io.plumbline.annotation.queue.ItemCounters;
import io.plumbline.annotation.queue.ItemEntity;
import io.plumbline.annotation.queue.QueueEntity;
import io.plumbline.annotation.resolution.AnnotationEntity;
import io.plumbline.annotation.resolution.ResolutionRules;
import io.plumbline.annotation.resolution.Resolutions;
import io.plumbline.annotation.resolution.Resolver;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.Violations;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.ImportError;
import io.plumbline.proto.annotation.v1.ImportLabelsRequest;
import io.plumbline.proto.annotation.v1.ImportLabelsResponse;
import io.plumbline.proto.annotation.v1.LabelFormat;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.judge.v1.Evaluation;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Imports labels as reviewers' feedback (or, with {@code as_resolved}, as final annotations), set-based: the file is
 * parsed and every row validated in memory like a SubmitFeedback (value typed by the evaluation's output type, critique
 * required when the value differs from the judge's, vague critiques refused); the evaluations, items, feedback and
 * settings the file refers to are read in a few bulk queries, the items locked; the rows are then applied in line order
 * to that state in memory, exactly as one-by-one submissions would (an item resolving at row n refuses a later row
 * changing it), and everything that changed is written in a few multi-row statements, events included, in the one
 * transaction. A row is keyed by (evaluation, reviewer): the same content again is unchanged, so re-importing a file
 * changes nothing. all_or_nothing and dry_run write nothing when asked to.
 */
@ApplicationScoped
public class LabelImport {

    static final int MAX_ERRORS = 1000;
    /** Imports of at least this many rows refresh the statistics of the tables they grew. */
    static final int ANALYZE_AFTER = 10_000;
    private static final Logger LOG = Logger.getLogger(LabelImport.class);

    private final FeedbackRules rules;
    private final Pool pool;

    LabelImport(FeedbackRules rules, Pool pool) {
        this.rules = rules;
        this.pool = pool;
    }

    public Uni<ImportLabelsResponse> importLabels(Caller caller, ImportLabelsRequest r) {
        caller.requireAdmin("importing labels");
        if (r.getFormat() == LabelFormat.LABEL_FORMAT_UNSPECIFIED || r.getFormat() == LabelFormat.UNRECOGNIZED) {
            throw ApiException.invalid("format", "is required: LABEL_FORMAT_CSV or LABEL_FORMAT_JSONL");
        }
        UUID queueId = r.getQueueId().isEmpty() ? null : QueueEntity.parseId(r.getQueueId(), "queue_id");
        long started = System.nanoTime();
        long[] phases = {0, 0, 0, 0};
        // Parsing and applying a large file take seconds of CPU: on a worker thread, never on the event loop.
        return Uni.createFrom().item(() -> LabelFile.parse(r.getFormat(), r.getContent().toString(StandardCharsets.UTF_8)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .invoke(() -> phases[0] = System.nanoTime())
                .chain(parsed -> importParsed(caller, r, queueId, parsed, started, phases));
    }

    private Uni<ImportLabelsResponse> importParsed(Caller caller, ImportLabelsRequest r, UUID queueId,
            LabelFile.Parsed parsed, long started, long[] phases) {
        return pool.withTransaction(connection -> {
            ImportStore store = new ImportStore(connection);
            Run run = new Run(caller, r, parsed, store);
            Uni<Void> target = queueId == null ? Uni.createFrom().voidItem()
                    : store.queue(r.getProjectId(), r.getQueueId(), queueId).invoke(q -> run.target = q).replaceWithVoid();
            return target.chain(run::load).invoke(() -> phases[1] = System.nanoTime())
                    .emitOn(Infrastructure.getDefaultWorkerPool())
                    .map(ignored -> run.apply()).invoke(() -> phases[2] = System.nanoTime()).chain(keep -> {
                        if (!keep) {
                            return Uni.createFrom().item(run.response(false));
                        }
                        return run.write(connection).map(ignored -> run.response(true));
                    }).invoke(() -> phases[3] = System.nanoTime());
        }).invoke(response -> {
                    if (response.getCommitted() && parsed.rows().size() >= ANALYZE_AFTER) {
                        analyzeGrownTables().subscribe().with(ignored -> { });  // not waited for by the caller
                    }
                })
                .invoke(response -> LOG.infof("Imported %d rows into project %s in %d ms (parse %d, read %d, apply %d, "
                + "write %d, commit %d): %d new, %d updated, %d unchanged, %d refused, %d resolved, committed %s",
                parsed.rows().size() + parsed.errors().size(), r.getProjectId(), ms(started, System.nanoTime()),
                ms(started, phases[0]), ms(phases[0], phases[1]), ms(phases[1], phases[2]), ms(phases[2], phases[3]),
                ms(phases[3], System.nanoTime()), response.getImported(), response.getUpdated(),
                response.getUnchanged(), response.getRejected(), response.getItemsResolved(), response.getCommitted()));
    }

    /** A row checked against its evaluation, ready to apply. */
    private record Label(LabelFile.Row row, Judged evaluation, String reviewer, Verdict verdict, MetricValue value,
            String valueJson, String critique, String tags) {
    }

    /** An item as the import sees and changes it. */
    private static final class ItemState {
        final ItemEntity item;
        final boolean created;
        boolean changed;
        final List<FeedbackEntity> feedback = new ArrayList<>();
        final List<AssignmentEntity> assignments = new ArrayList<>();
        AnnotationEntity annotation;

        ItemState(ItemEntity item, boolean created) {
            this.item = item;
            this.created = created;
        }
    }

    /** One import: what was read, what the rows did, what is to be written. */
    private final class Run {
        final Caller caller;
        final ImportLabelsRequest request;
        final String project;
        final LabelFile.Parsed parsed;
        final ImportStore store;
        Queue target;

        Map<String, Judged> byId = Map.of();
        Map<String, Judged> byRecord = Map.of();
        final Map<String, ItemState> items = new HashMap<>();
        Map<String, Queue> defaultQueues = Map.of();
        Map<String, ResolutionSettings> metricSettings = Map.of();

        final Set<FeedbackEntity> newFeedback = new LinkedHashSet<>();
        final Set<FeedbackEntity> changedFeedback = new LinkedHashSet<>();
        final Map<AssignmentEntity, Boolean> touchedAssignments = new LinkedHashMap<>();
        final Map<UUID, AnnotationEntity> touchedAnnotations = new LinkedHashMap<>();
        final List<AnnotationEvents.Serialized> events = new ArrayList<>();

        long imported;
        long updated;
        long unchanged;
        long resolved;
        final List<ImportError> errors = new ArrayList<>();
        // Distinct, increasing times in row order: feedback order (which decides ties) is the file's order.
        final OffsetDateTime start = ProtoJson.now();
        long tick;

        Run(Caller caller, ImportLabelsRequest request, LabelFile.Parsed parsed, ImportStore store) {
            this.caller = caller;
            this.request = request;
            this.project = request.getProjectId();
            this.parsed = parsed;
            this.store = store;
            errors.addAll(parsed.errors());
        }

        OffsetDateTime nextTime() {
            return start.plusNanos(1000 * tick++);
        }

        /** Reads what the rows refer to, in bulk: evaluations, then their items (locked), feedback and settings. */
        Uni<Void> load() {
            Set<String> ids = new LinkedHashSet<>();
            Set<String> records = new LinkedHashSet<>();
            for (LabelFile.Row row : parsed.rows()) {
                String evaluationId = row.get("evaluation_id").strip();
                if (!evaluationId.isEmpty()) {
                    ids.add(evaluationId);
                } else if (!row.get("record_id").isBlank() && !row.get("metric").isBlank()) {
                    records.add(row.get("record_id").strip() + "\n" + row.get("metric").strip());
                }
            }
            return store.evaluationsById(ids).invoke(found -> byId = found)
                    .chain(() -> store.newestByRecord(project, records)).invoke(found -> byRecord = found)
                    .chain(() -> {
                        Set<String> evaluations = new LinkedHashSet<>();
                        Set<String> metrics = new LinkedHashSet<>();
                        for (Judged e : byId.values()) {
                            if (e.projectId().equals(project)) {
                                evaluations.add(e.id());
                                metrics.add(e.metricId());
                            }
                        }
                        byRecord.values().forEach(e -> {
                            evaluations.add(e.id());
                            metrics.add(e.metricId());
                        });
                        return store.lockItems(project, evaluations)
                                .chain(found -> {
                                    found.forEach((evaluationId, item) -> items.put(evaluationId, new ItemState(item, false)));
                                    Map<UUID, ItemState> byItem = new HashMap<>();
                                    items.values().forEach(s -> byItem.put(s.item.id, s));
                                    return store.feedbackOf(byItem.keySet())
                                            .invoke(feedback -> feedback.forEach(f -> byItem.get(f.itemId).feedback.add(f)))
                                            .chain(() -> store.assignmentsOf(byItem.keySet()))
                                            .invoke(assignments -> assignments.forEach(a ->
                                                    byItem.get(a.itemId).assignments.add(a)))
                                            .chain(() -> !request.getAsResolved() ? Uni.createFrom().voidItem()
                                                    : store.annotations(items.values().stream()
                                                                    .filter(s -> s.item.annotationId != null)
                                                                    .map(s -> s.item.annotationId).toList())
                                                            .invoke(annotations -> items.values().forEach(s ->
                                                                    s.annotation = s.item.annotationId == null ? null
                                                                            : annotations.get(s.item.annotationId)))
                                                            .replaceWithVoid());
                                })
                                .chain(() -> store.defaultQueues(project, metrics)).invoke(q -> defaultQueues = q)
                                .chain(() -> store.metricSettings(project, metrics)).invoke(s -> metricSettings = s)
                                .replaceWithVoid();
                    });
        }

        /** Applies the rows in line order to the state read; returns whether to write the result. */
        boolean apply() {
            Map<String, Long> seen = new HashMap<>();
            for (LabelFile.Row row : parsed.rows()) {
                Label label = check(row, seen);
                if (label != null) {
                    if (request.getAsResolved()) {
                        applyAsResolved(label);
                    } else {
                        applyAsFeedback(label);
                    }
                }
            }
            return !request.getDryRun() && !(request.getAllOrNothing() && !errors.isEmpty());
        }

        /** The row checked like a SubmitFeedback, or null with its errors recorded. */
        private Label check(LabelFile.Row row, Map<String, Long> seen) {
            List<ImportError> refused = new ArrayList<>();
            String reviewer = row.get("reviewer").strip();
            String valueText = row.get("value").strip();
            if (reviewer.isEmpty()) {
                refused.add(LabelFile.error(row.line(), "reviewer", "is required"));
            }
            if (valueText.isEmpty()) {
                refused.add(LabelFile.error(row.line(), "value", "is required: the value the judge should have given"));
            }
            String evaluationId = row.get("evaluation_id").strip();
            String recordId = row.get("record_id").strip();
            String metric = row.get("metric").strip();
            if (evaluationId.isEmpty() && (recordId.isEmpty() || metric.isEmpty())) {
                refused.add(LabelFile.error(row.line(), "evaluation_id", "is required (or record_id with metric)"));
            }
            if (!refused.isEmpty()) {
                return refuse(refused);
            }
            Judged e = !evaluationId.isEmpty() ? byId.get(evaluationId) : byRecord.get(recordId + "\n" + metric);
            if (e == null || !e.projectId().equals(project)) {
                return refuse(List.of(evaluationId.isEmpty()
                        ? LabelFile.error(row.line(), "record_id", "no evaluation of metric " + metric + " for record "
                                + recordId)
                        : LabelFile.error(row.line(), "evaluation_id", "unknown evaluation " + evaluationId
                                + " in project \"" + project + "\"")));
            }
            Evaluation evaluation = e.evaluation();
            if (!metric.isEmpty() && !metric.equals(e.metricId()) && !metric.equals(evaluation.getMetricName())) {
                return refuse(List.of(LabelFile.error(row.line(), "metric", "evaluation " + e.id() + " is of metric "
                        + e.metricId() + " (" + evaluation.getMetricName() + "), not " + metric)));
            }
            if (evaluation.getStatus() != Evaluation.Status.STATUS_OK) {
                return refuse(List.of(LabelFile.error(row.line(), "evaluation_id", "evaluation " + e.id()
                        + " has status " + evaluation.getStatus() + ": only evaluations with a value are labelled")));
            }
            if (target != null && target.metricId() != null && !target.metricId().equals(e.metricId())) {
                return refuse(List.of(LabelFile.error(row.line(), "metric", "queue " + target.name()
                        + " takes metric " + target.metricId() + "; evaluation " + e.id() + " is of metric "
                        + e.metricId())));
            }
            String key = request.getAsResolved() ? e.id() : e.id() + "\n" + reviewer;
            Long earlier = seen.putIfAbsent(key, row.line());
            if (earlier != null) {
                return refuse(List.of(LabelFile.error(row.line(), "", request.getAsResolved()
                        ? "labels evaluation " + e.id() + " again (line " + earlier + " did already); an import as "
                                + "resolved takes one row per evaluation"
                        : "labels evaluation " + e.id() + " by reviewer " + reviewer + " again (line " + earlier
                                + " did already)")));
            }
            MetricValue value = parseValue(evaluation.getOutputType(), valueText, row.line(), refused);
            if (value == null) {
                return refuse(refused);
            }
            Verdict verdict = value.equals(evaluation.getValue()) ? Verdict.VERDICT_CORRECT : Verdict.VERDICT_INCORRECT;
            Violations v = new Violations();
            rules.check(evaluation, verdict, value, verdict == Verdict.VERDICT_INCORRECT, row.get("critique"),
                    row.tags(), v);
            if (!v.isEmpty()) {
                try {
                    v.throwIfAny();
                } catch (ApiException x) {
                    x.violations().forEach(f -> refused.add(LabelFile.error(row.line(),
                            f.field().equals("expected_value") ? "value" : f.field(), f.rule())));
                }
                return refuse(refused);
            }
            return new Label(row, e, reviewer, verdict, value, ProtoJson.print(value), row.get("critique").strip(),
                    String.join(",", row.tags()));
        }

        private Label refuse(List<ImportError> refused) {
            errors.addAll(refused);
            return null;
        }

        /** The row as its reviewer's feedback on the item; the rule in force may resolve the item. */
        private void applyAsFeedback(Label label) {
            ItemState state = items.get(label.evaluation().id());
            FeedbackEntity existing = state == null ? null : feedbackOf(state, label.reviewer());
            if (existing != null && same(existing, label)) {
                unchanged++;
                return;
            }
            if (state != null && !ReviewItem.Status.STATUS_OPEN.name().equals(state.item.status)) {
                String why = state.item.resolved() ? "is resolved" : "awaits adjudication";
                errors.add(LabelFile.error(label.row().line(), "", "item " + state.item.id + " of evaluation "
                        + label.evaluation().id() + " " + why + "; its labels can no longer change"));
                return;
            }
            if (existing == null) {
                imported++;
            } else {
                updated++;
            }
            state = state != null ? state : newItem(label.evaluation());
            store(state, existing, label);
            settle(state, label.evaluation());
        }

        /** The row as the item's final label: resolved (or changed) to the row's value at once, without a rule. */
        private void applyAsResolved(Label label) {
            ItemState state = items.get(label.evaluation().id());
            FeedbackEntity existing = state == null ? null : feedbackOf(state, label.reviewer());
            Annotation current = state == null || state.annotation == null ? null
                    : ProtoJson.parseBytes(state.annotation.content, Annotation.getDefaultInstance());
            if (existing != null && same(existing, label) && current != null
                    && current.getExpectedValue().equals(label.value())) {
                unchanged++;
                return;
            }
            state = state != null ? state : newItem(label.evaluation());
            store(state, existing, label);
            Evaluation evaluation = label.evaluation().evaluation();
            ItemEntity item = state.item;
            OffsetDateTime now = nextTime();
            UUID eventId = AnnotationEvents.newEventId();
            List<FeedbackEntity> feedback = ordered(state);
            if (current == null) {
                imported++;
                resolved++;
                UUID annotationId = Ids.newId();
                Annotation annotation = Resolutions.imported(annotationId, item, evaluation, feedback, label.value(),
                        item.numericTolerance, 1, now, now, eventId);
                AnnotationEntity row = Resolutions.newRow(item, evaluation, annotationId, now);
                Resolutions.fill(row, annotation, now, eventId);
                state.annotation = row;
                touchedAnnotations.put(row.id, row);
                markResolved(state, annotationId, now);
                events.add(AnnotationEvents.serialize(AnnotationEvents.event(eventId, annotation,
                        AnnotationEvent.Type.TYPE_RESOLVED, null), row.content));
            } else {
                updated++;
                AnnotationEntity row = state.annotation;
                Annotation annotation = Resolutions.imported(row.id, item, evaluation, feedback, label.value(),
                        item.numericTolerance, current.getRevision() + 1, row.resolvedAt, now, eventId);
                String supersedes = row.lastEventId;
                Resolutions.fill(row, annotation, now, eventId);
                touchedAnnotations.put(row.id, row);
                item.resolvedAt = now;
                state.changed = true;
                events.add(AnnotationEvents.serialize(AnnotationEvents.event(eventId, annotation,
                        AnnotationEvent.Type.TYPE_RESOLUTION_CHANGED, supersedes), row.content));
            }
        }

        private FeedbackEntity feedbackOf(ItemState state, String reviewer) {
            return state.feedback.stream().filter(f -> f.reviewerId.equals(reviewer)).findFirst().orElse(null);
        }

        private boolean same(FeedbackEntity f, Label label) {
            return f.verdict.equals(label.verdict().name()) && f.valueJson.equals(label.valueJson())
                    && f.critique.equals(label.critique()) && f.tags.equals(label.tags());
        }

        /** A new item of the evaluation in the import's queue, or its metric's default queue. */
        private ItemState newItem(Judged e) {
            Queue queue = target != null ? target : defaultQueues.get(e.metricId());
            if (queue == null) {
                throw ApiException.failedPrecondition("metric " + e.metricId() + " has no default queue; name a "
                        + "queue_id for the import");
            }
            ResolutionSettings settings = queue.override() != null ? ResolutionRules.withDefaults(queue.override())
                    : metricSettings.containsKey(e.metricId())
                            ? ResolutionRules.withDefaults(metricSettings.get(e.metricId())) : ResolutionRules.DEFAULT;
            ItemEntity item = new ItemEntity();
            item.id = Ids.newId();
            item.projectId = project;
            item.queueId = queue.id();
            item.evaluationId = e.id();
            item.metricId = e.metricId();
            item.recordId = e.recordId();
            item.status = ReviewItem.Status.STATUS_OPEN.name();
            item.source = ReviewItem.Source.SOURCE_IMPORT.name();
            item.addedBy = caller.id();
            item.stratum = "";
            item.useSettings(settings);
            item.createdAt = nextTime();
            ItemState state = new ItemState(item, true);
            items.put(e.id(), state);
            return state;
        }

        /** The label as its reviewer's feedback (new or changed) with a reviewed assignment; the item recounted. */
        private void store(ItemState state, FeedbackEntity existing, Label label) {
            ItemEntity item = state.item;
            OffsetDateTime now = nextTime();
            FeedbackEntity f = existing;
            if (f == null) {
                f = new FeedbackEntity();
                f.id = Ids.newId();
                f.projectId = item.projectId;
                f.itemId = item.id;
                f.reviewerId = label.reviewer();
                f.createdAt = now;
                f.revision = 1;
                state.feedback.add(f);
                newFeedback.add(f);
            } else {
                f.revision++;
                if (!newFeedback.contains(f)) {
                    changedFeedback.add(f);
                }
            }
            f.verdict = label.verdict().name();
            f.expectedValueJson = label.verdict() == Verdict.VERDICT_INCORRECT ? label.valueJson() : null;
            f.setValue(label.value(), label.valueJson());
            f.critique = label.critique();
            f.tags = label.tags();
            f.imported = true;
            f.updatedAt = now;
            AssignmentEntity a = state.assignments.stream().filter(x -> x.reviewerId.equals(label.reviewer()))
                    .findFirst().orElse(null);
            if (a == null) {
                a = new AssignmentEntity();
                a.itemId = item.id;
                a.reviewerId = label.reviewer();
                a.createdAt = now;
                a.leaseExpiresAt = now;
                a.reason = "imported";
                state.assignments.add(a);
            }
            a.state = AssignmentEntity.REVIEWED;
            touchedAssignments.put(a, Boolean.TRUE);
            ItemCounters.recount(item, state.feedback, state.assignments);
            state.changed = true;
        }

        /** The rule in force decides the item, as after a submitted feedback. */
        private void settle(ItemState state, Judged e) {
            ItemEntity item = state.item;
            ResolutionSettings settings = item.settings();
            List<FeedbackEntity> feedback = ordered(state);
            List<Resolver.Vote> votes = feedback.stream().map(f -> new Resolver.Vote(f.reviewerId, f.value())).toList();
            switch (Resolver.decide(settings, votes)) {
                case Resolver.Pending p -> item.status = ReviewItem.Status.STATUS_OPEN.name();
                case Resolver.NeedsAdjudication n -> item.status = ReviewItem.Status.STATUS_AWAITING_ADJUDICATION.name();
                case Resolver.Resolved r -> {
                    OffsetDateTime now = nextTime();
                    UUID eventId = AnnotationEvents.newEventId();
                    UUID annotationId = Ids.newId();
                    Annotation annotation = Resolutions.resolved(annotationId, item, e.evaluation(), feedback, settings,
                            r.value(), now, eventId);
                    AnnotationEntity row = Resolutions.newRow(item, e.evaluation(), annotationId, now);
                    Resolutions.fill(row, annotation, now, eventId);
                    touchedAnnotations.put(row.id, row);
                    markResolved(state, annotationId, now);
                    resolved++;
                    events.add(AnnotationEvents.serialize(AnnotationEvents.event(eventId, annotation,
                            AnnotationEvent.Type.TYPE_RESOLVED, null), row.content));
                }
            }
        }

        private List<FeedbackEntity> ordered(ItemState state) {
            state.feedback.sort(Comparator.comparing((FeedbackEntity f) -> f.createdAt));
            return state.feedback;
        }

        private void markResolved(ItemState state, UUID annotationId, OffsetDateTime now) {
            Resolutions.markResolved(state.item, annotationId, now);
            state.changed = true;
        }

        /** Writes what the rows changed: a few multi-row statements per table, the events into the outbox. */
        Uni<Void> write(io.vertx.mutiny.sqlclient.SqlConnection connection) {
            List<ItemEntity> created = items.values().stream().filter(s -> s.created).map(s -> s.item)
                    .sorted(Comparator.comparing(i -> i.createdAt)).toList();
            List<ItemEntity> changed = items.values().stream().filter(s -> !s.created && s.changed).map(s -> s.item)
                    .sorted(Comparator.comparing(i -> i.id)).toList();
            return store.insertItems(created)
                    .chain(() -> store.updateItems(changed))
                    .chain(() -> store.insertFeedback(List.copyOf(newFeedback)))
                    .chain(() -> store.updateFeedback(List.copyOf(changedFeedback)))
                    .chain(() -> store.upsertAssignments(List.copyOf(touchedAssignments.keySet())))
                    .chain(() -> store.upsertAnnotations(List.copyOf(touchedAnnotations.values())))
                    .chain(() -> AnnotationEvents.emitAll(connection, events));
        }

        ImportLabelsResponse response(boolean committed) {
            List<ImportError> sorted = errors.stream().sorted(Comparator.comparingLong(ImportError::getLine)).toList();
            return ImportLabelsResponse.newBuilder()
                    .setImported(imported)
                    .setUpdated(updated)
                    .setUnchanged(unchanged)
                    .setRejected(sorted.stream().map(ImportError::getLine).distinct().count())
                    .addAllErrors(sorted.stream().limit(MAX_ERRORS).toList())
                    .setErrorsTruncated(sorted.size() > MAX_ERRORS)
                    .setCommitted(committed)
                    .setItemsResolved(committed ? resolved : 0)
                    .build();
        }
    }

    /**
     * After a large import the planner's statistics still describe the tables before it until autovacuum catches up,
     * and plans chosen for small tables (sequential scans) are slow on the grown ones: refresh them at once. A failure
     * only leaves that to autovacuum.
     */
    private Uni<Void> analyzeGrownTables() {
        return pool.query("analyze review_item, feedback, assignment, annotation").execute().replaceWithVoid()
                .onFailure().invoke(e -> LOG.warnf("Statistics not refreshed after an import: %s", e.getMessage()))
                .onFailure().recoverWithNull();
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
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
}
