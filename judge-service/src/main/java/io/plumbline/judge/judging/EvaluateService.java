package io.plumbline.judge.judging;

import io.grpc.Status;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.Violations;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.common.metric.PromptTemplate;
import io.plumbline.judge.normalize.ContentHash;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.judge.v1.DraftMetric;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateItemError;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.EvaluateResponse;
import io.plumbline.proto.judge.v1.EvaluateResult;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;

/**
 * Ad-hoc judging (the console's playground, the alignment-service's validation of a candidate): a draft metric on
 * records the caller supplies. Items are judged concurrently (bounded per call; provider limits apply on top) and
 * answered in request order. Judging with a stored metric version, stored records and storing the results arrive with
 * the metric catalog and the evaluation store.
 */
@ApplicationScoped
public class EvaluateService {

    static final int MAX_ITEMS = 500;
    static final int DEFAULT_CONCURRENCY = 8;
    static final int MAX_CONCURRENCY = 64;

    private final JudgeModel judgeModel;

    EvaluateService(JudgeModel judgeModel) {
        this.judgeModel = judgeModel;
    }

    public Multi<EvaluateResult> evaluateEach(EvaluateRequest request) {
        JudgeModel.Judge judge = judgeOf(request);
        int concurrency = request.getMaxConcurrency() == 0 ? DEFAULT_CONCURRENCY : request.getMaxConcurrency();
        return Multi.createFrom().range(0, request.getItemsCount())
                .onItem().transformToUni(index -> evaluateItem(judge, index, request.getItems(index)))
                .merge(concurrency);
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

    private Uni<EvaluateResult> evaluateItem(JudgeModel.Judge judge, int index, EvaluateItem item) {
        var result = EvaluateResult.newBuilder().setIndex(index).setKey(item.getKey());
        if (!item.hasSnapshot()) {
            return Uni.createFrom().item(result.setError(EvaluateItemError.newBuilder()
                    .setCode(Status.Code.UNIMPLEMENTED.name())
                    .setMessage("items[" + index + "]: only supplied snapshots can be judged yet; stored records and "
                            + "evaluations arrive with the evaluation store")).build());
        }
        var snapshot = item.getSnapshot().toBuilder();
        snapshot.setContentHash(ContentHash.of(snapshot));
        return judgeModel.judge(judge, snapshot.build()).map(evaluation -> result.setEvaluation(evaluation).build());
    }

    private static JudgeModel.Judge judgeOf(EvaluateRequest request) {
        Violations v = new Violations();
        v.requireText(request.getProjectId(), "project_id", 64);
        v.check(request.getItemsCount() < 1 || request.getItemsCount() > MAX_ITEMS, "items",
                "must hold 1 to " + MAX_ITEMS + " items (has " + request.getItemsCount() + ")");
        v.check(request.getMaxConcurrency() < 0 || request.getMaxConcurrency() > MAX_CONCURRENCY, "max_concurrency",
                "must be 0 (the default, " + DEFAULT_CONCURRENCY + ") to " + MAX_CONCURRENCY);
        switch (request.getMetricSourceCase()) {
            case METRICSOURCE_NOT_SET -> v.add("metric_source", "is required: a metric_version or a draft");
            case METRIC_VERSION -> throw ApiException.unimplemented(
                    "judging with a stored metric version arrives with the metric catalog; pass the version's content as a draft");
            case DRAFT -> draft(request, v);
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
            throw ApiException.unimplemented("drafts based on a stored metric arrive with the metric catalog; "
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
