package io.plumbline.judge.judging;

import io.grpc.Status;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.Violations;
import io.plumbline.common.llm.LlmCallFailed;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.common.metric.PromptTemplate;
import io.plumbline.judge.budget.Budgets;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.judge.evaluation.EvaluationStore;
import io.plumbline.judge.evaluation.GroupedWrites;
import io.plumbline.judge.evaluation.StoredSnapshots;
import io.plumbline.judge.normalize.ContentHash;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.judge.v1.DraftMetric;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateItemError;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.EvaluateResponse;
import io.plumbline.proto.judge.v1.EvaluateResult;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.VersionContent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Ad-hoc judging (the console's playground, the alignment-service's validation of a candidate): a stored metric version
 * (from the {@link MetricCatalog}) or a draft, on records the caller supplies. Items are judged concurrently (bounded
 * per call; provider limits apply on top) and answered in request order. With a stored version, results can be stored
 * (and emitted) and stored ones reused. Items are supplied snapshots, stored records (their newest stored snapshot,
 * {@link StoredSnapshots}) or stored evaluations (exactly the snapshot each judged); a stored one that is not found is
 * that item's NOT_FOUND error, not the call's.
 */
@ApplicationScoped
public class EvaluateService {

    private static final Logger LOG = Logger.getLogger(EvaluateService.class);
    static final int MAX_ITEMS = 500;
    static final int DEFAULT_CONCURRENCY = 8;
    static final int MAX_CONCURRENCY = 64;

    private final JudgeModel judgeModel;
    private final GroupedWrites<Budgets.Spending, Boolean> adHocSpending;
    private final MetricCatalog catalog;
    private final EvaluationStore store;
    private final StoredSnapshots snapshots;

    EvaluateService(JudgeModel judgeModel, MetricCatalog catalog, EvaluationStore store, StoredSnapshots snapshots,
            Budgets budgets) {
        this.judgeModel = judgeModel;
        // one transaction for the spending of many judgments (a call of 500 items, concurrent calls), not one each
        this.adHocSpending = new GroupedWrites<>("ad-hoc spendings", 200, Duration.ofMillis(20), 2,
                spendings -> budgets.spent(spendings).map(ignored -> spendings.stream().map(s -> true).toList()));
        this.catalog = catalog;
        this.store = store;
        this.snapshots = snapshots;
    }

    public Multi<EvaluateResult> evaluateEach(EvaluateRequest request) {
        JudgeModel.Judge judge = request.hasMetricVersion() ? storedVersion(request) : draftJudge(request);
        int concurrency = request.getMaxConcurrency() == 0 ? DEFAULT_CONCURRENCY : request.getMaxConcurrency();
        // The call's database session belongs to its Vert.x context and must never be used by two operations at
        // once: the stored evaluations are looked up first, one after the other, the judge calls then run
        // concurrently, and the results are stored one after the other as they come.
        return Multi.createFrom().range(0, request.getItemsCount())
                .onItem().transformToUniAndConcatenate(index -> prepare(request, judge, index, request.getItems(index)))
                .collect().asList()
                .onItem().transformToMulti(items -> Multi.createFrom().iterable(items))
                .onItem().transformToUni(item -> judged(request, judge, item)).merge(concurrency)
                .onItem().transformToUniAndConcatenate(item -> stored(request, item));
    }

    /** One item on its way: its result so far, the record to judge, and what was judged or reused. */
    private record Item(EvaluateResult.Builder result, RecordSnapshot record, Evaluation evaluation, boolean reused) {

        Item with(Evaluation judged) {
            return new Item(result, record, judged, false);
        }

        boolean done() {
            return record == null || evaluation != null;
        }
    }

    public Uni<EvaluateResponse> evaluate(EvaluateRequest request) {
        return evaluateEach(request).collect().asList().map(results -> {
            var response = EvaluateResponse.newBuilder();
            results.stream().sorted(Comparator.comparingInt(EvaluateResult::getIndex)).forEach(result -> {
                response.addResults(result);
                if (result.hasEvaluation()) {
                    response.setPromptTokens(response.getPromptTokens() + result.getEvaluation().getPromptTokens())
                            .setCompletionTokens(response.getCompletionTokens()
                                    + result.getEvaluation().getCompletionTokens())
                            .setCostUsd(response.getCostUsd() + result.getEvaluation().getCostUsd());
                }
            });
            return response.build();
        });
    }

    /** The item's record (with its content hash) and, when asked to reuse, the stored evaluation of it. */
    private Uni<Item> prepare(EvaluateRequest request, JudgeModel.Judge judge, int index, EvaluateItem item) {
        var result = EvaluateResult.newBuilder().setIndex(index).setKey(item.getKey());
        Uni<RecordSnapshot> found = switch (item.getRecordCase()) {
            case SNAPSHOT -> {
                var snapshot = item.getSnapshot().toBuilder();
                snapshot.getRecordBuilder().setProjectId(request.getProjectId());
                snapshot.setContentHash(ContentHash.of(snapshot));
                yield Uni.createFrom().item(snapshot.build());
            }
            case STORED_RECORD -> {
                String recordId = item.getStoredRecord().getRecordId();
                yield snapshots.newest(request.getProjectId(), item.getStoredRecord().getLevel(), List.of(recordId))
                        .map(map -> map.get(recordId));
            }
            case EVALUATION_ID -> snapshots.ofEvaluation(request.getProjectId(), UUID.fromString(item.getEvaluationId()));
            case RECORD_NOT_SET -> throw new IllegalStateException("refused by the validation");
        };
        return found.chain(record -> {
            if (record == null) {
                String what = item.hasStoredRecord()
                        ? "record " + item.getStoredRecord().getRecordId() + " (" + item.getStoredRecord().getLevel()
                                + ") has no stored snapshot"
                        : "evaluation " + item.getEvaluationId() + " does not exist";
                return Uni.createFrom().item(new Item(result.setError(EvaluateItemError.newBuilder()
                        .setCode(Status.Code.NOT_FOUND.name())
                        .setMessage("items[" + index + "]: " + what + " in project \"" + request.getProjectId() + "\"")),
                        null, null, false));
            }
            if (!request.getReuseExisting()) {
                return Uni.createFrom().item(new Item(result, record, null, false));
            }
            return store.existing(judge.version().getMetricId(), judge.version().getVersion(),
                            record.getRecord().getRecordId(), record.getContentHash())
                    .map(earlier -> new Item(result, record, earlier, earlier != null));
        });
    }

    private Uni<Item> judged(EvaluateRequest request, JudgeModel.Judge judge, Item item) {
        if (item.done()) {
            return Uni.createFrom().item(item);
        }
        // An ad-hoc caller gets a provider outage as an ERROR evaluation (the stream retries instead).
        return judgeModel.judge(judge, item.record()).call(evaluation -> spent(judge, evaluation))
                .onFailure(LlmCallFailed.class)
                .recoverWithItem(failure -> Evaluation.newBuilder().setId(java.util.UUID.randomUUID().toString())
                        .setProjectId(request.getProjectId()).setRecord(item.record().getRecord())
                        .setMetricVersion(judge.version()).setMetricName(judge.metricName())
                        .setOutputType(judge.outputType()).setJudgeModel(judge.model())
                        .setContentHash(item.record().getContentHash()).setOrigin(Evaluation.Origin.ORIGIN_AD_HOC)
                        .setCreateTime(io.plumbline.common.api.ProtoJson.timestamp(io.plumbline.common.api.ProtoJson.now()))
                        .setStatus(Evaluation.Status.STATUS_ERROR).setError(failure.getMessage()).build())
                .map(evaluation -> item.record().hasEndTime() && !evaluation.hasRecordEndTime()
                        ? evaluation.toBuilder().setRecordEndTime(item.record().getEndTime()).build() : evaluation)
                .map(item::with);
    }

    /**
     * Counts what a judgment of a stored metric version cost in the metric's usage (ListBudgetUsage, binding "ad-hoc",
     * no budget), stored or not: the provider was paid either way. A draft has no metric to count it under. The answer
     * is not failed when the count cannot be written: failing it would have the caller pay for the judgment again.
     */
    private Uni<Void> spent(JudgeModel.Judge judge, Evaluation evaluation) {
        if (judge.version().getMetricId().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return adHocSpending.submit(new Budgets.Spending(judge.projectId(), judge.version().getMetricId(),
                        judge.metricName(), Budgets.AD_HOC, evaluation.getPromptTokens() + evaluation.getCompletionTokens(),
                        evaluation.getCostUsd()))
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("The spending of an ad-hoc judgment of metric %s was not counted: %s", judge.metricName(),
                            failure.toString());
                    return Uni.createFrom().voidItem();
                });
    }

    private Uni<EvaluateResult> stored(EvaluateRequest request, Item item) {
        if (item.evaluation() == null) {
            return Uni.createFrom().item(item.result().build());
        }
        Uni<Evaluation> evaluation = request.getStore() && !item.reused()
                ? store.store(item.evaluation(), item.record())
                : Uni.createFrom().item(item.evaluation());
        return evaluation.map(e -> item.result().setEvaluation(e).setReused(item.reused()).build());
    }

    private JudgeModel.Judge storedVersion(EvaluateRequest request) {
        Violations v = common(request);
        MetricVersionRef ref = request.getMetricVersion();
        v.check(ref.getVersion() < 0, "metric_version.version", "must be 0 (the published one) or a version number");
        v.throwIfAny();
        if (!catalog.isLoaded()) {
            throw ApiException.unavailable("the judge has not loaded its metric catalog from the metric-registry yet; "
                    + "retry shortly");
        }
        Metric metric = catalog.metric(request.getProjectId(), ref.getMetricId()).orElseThrow(() -> ApiException.notFound(
                "metric " + ref.getMetricId() + " of project \"" + request.getProjectId() + "\" is not known to the judge"));
        MetricVersion version = catalog.version(metric, ref.getVersion()).orElseThrow(() -> ApiException.notFound(
                "metric " + metric.getName() + " has no version " + (ref.getVersion() == 0 ? "published" : ref.getVersion())
                        + " known to the judge"));
        ModelConfig model = request.hasJudgeModel() ? request.getJudgeModel() : metric.getJudgeModel();
        return new JudgeModel.Judge(request.getProjectId(), MetricVersionRef.newBuilder().setMetricId(metric.getId())
                .setVersion(version.getVersion()).build(), metric.getName(), metric.getOutputType(),
                VersionContent.newBuilder().setPromptTemplate(version.getPromptTemplate())
                        .addAllGuidelines(version.getGuidelinesList()).addAllExamples(version.getExamplesList()).build(),
                model);
    }

    private static Violations common(EvaluateRequest request) {
        Violations v = new Violations();
        v.requireText(request.getProjectId(), "project_id", 64);
        v.check(request.getItemsCount() < 1 || request.getItemsCount() > MAX_ITEMS, "items",
                "must hold 1 to " + MAX_ITEMS + " items (has " + request.getItemsCount() + ")");
        v.check(request.getMaxConcurrency() < 0 || request.getMaxConcurrency() > MAX_CONCURRENCY, "max_concurrency",
                "must be 0 (the default, " + DEFAULT_CONCURRENCY + ") to " + MAX_CONCURRENCY);
        for (int i = 0; i < Math.min(request.getItemsCount(), MAX_ITEMS); i++) {
            var item = request.getItems(i);
            String field = "items[" + i + "]";
            switch (item.getRecordCase()) {
                case SNAPSHOT -> v.check((request.getStore() || request.getReuseExisting())
                                && item.getSnapshot().getRecord().getRecordId().isEmpty(),
                        field + ".snapshot.record.record_id", "is required to store or reuse evaluations");
                case STORED_RECORD -> {
                    v.check(item.getStoredRecord().getRecordId().isEmpty(), field + ".stored_record.record_id",
                            "is required");
                    v.check(item.getStoredRecord().getLevel() == io.plumbline.proto.common.v1.Level.LEVEL_UNSPECIFIED
                            || item.getStoredRecord().getLevel() == io.plumbline.proto.common.v1.Level.UNRECOGNIZED,
                            field + ".stored_record.level", "is required");
                }
                case EVALUATION_ID -> {
                    try {
                        UUID.fromString(item.getEvaluationId());
                    } catch (IllegalArgumentException e) {
                        v.add(field + ".evaluation_id", "must be a UUID (was \"" + item.getEvaluationId() + "\")");
                    }
                }
                case RECORD_NOT_SET -> v.add(field, "needs a record: snapshot, stored_record or evaluation_id");
            }
        }
        return v;
    }

    private static JudgeModel.Judge draftJudge(EvaluateRequest request) {
        Violations v = common(request);
        if (request.getMetricSourceCase() == EvaluateRequest.MetricSourceCase.METRICSOURCE_NOT_SET) {
            v.add("metric_source", "is required: a metric_version or a draft");
        } else {
            draft(request, v);
        }
        v.throwIfAny();
        DraftMetric draft = request.getDraft();
        return new JudgeModel.Judge(request.getProjectId(), MetricVersionRef.getDefaultInstance(),
                draft.getName().isEmpty() ? "draft" : draft.getName(), draft.getOutputType(), draft.getContent(),
                request.getJudgeModel());
    }

    private static void draft(EvaluateRequest request, Violations v) {
        DraftMetric draft = request.getDraft();
        if (!draft.getBaseMetricId().isEmpty()) {
            throw ApiException.unimplemented("drafts based on a stored metric are not supported yet; "
                    + "give the draft's output_type and the judge_model instead of base_metric_id");
        }
        OutputTypes.validate(draft.getOutputType(), "draft.output_type", v);
        if (!v.check(draft.getContent().getPromptTemplate().isBlank(), "draft.content.prompt_template", "is required")) {
            try {
                PromptTemplate.parse(draft.getContent().getPromptTemplate());
            } catch (PromptTemplate.InvalidTemplate e) {
                v.add("draft.content.prompt_template", e.getMessage());
            }
        }
        v.requireText(request.getJudgeModel().getProvider(), "judge_model.provider", 64);
        v.requireText(request.getJudgeModel().getModel(), "judge_model.model", 256);
        v.check(request.getStore(), "store", "needs a stored metric version; a draft's evaluations are not stored");
        v.check(request.getReuseExisting(), "reuse_existing", "needs a stored metric version");
    }
}
