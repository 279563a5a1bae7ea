package io.plumbline.judge.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.judge.evaluation.EvaluationStore;
import io.plumbline.judge.judging.EvaluateService;
import io.plumbline.judge.recompute.RecomputeJobs;
import io.plumbline.proto.judge.v1.BatchGetEvaluationsRequest;
import io.plumbline.proto.judge.v1.BatchGetEvaluationsResponse;
import io.plumbline.proto.judge.v1.CancelRecomputeJobRequest;
import io.plumbline.proto.judge.v1.EstimateRecomputeRequest;
import io.plumbline.proto.judge.v1.GetRecomputeJobRequest;
import io.plumbline.proto.judge.v1.ListRecomputeJobsRequest;
import io.plumbline.proto.judge.v1.ListRecomputeJobsResponse;
import io.plumbline.proto.judge.v1.RecomputeEstimate;
import io.plumbline.proto.judge.v1.RecomputeJob;
import io.plumbline.proto.judge.v1.StartRecomputeRequest;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.EvaluateResponse;
import io.plumbline.proto.judge.v1.EvaluateResult;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.judge.budget.Budgets;
import io.plumbline.proto.judge.v1.GetEvaluationRequest;
import io.plumbline.proto.judge.v1.ListBudgetUsageRequest;
import io.plumbline.proto.judge.v1.ListBudgetUsageResponse;
import io.plumbline.proto.judge.v1.GetRecordSnapshotRequest;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.ListEvaluationsRequest;
import io.plumbline.proto.judge.v1.ListEvaluationsResponse;
import io.plumbline.proto.judge.v1.MutinyJudgeGrpc;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/** The Judge gRPC API. */
@GrpcService
public class JudgeGrpcService extends MutinyJudgeGrpc.JudgeImplBase {

    private final EvaluateService evaluate;
    private final EvaluationStore evaluations;
    private final Budgets budgets;
    private final RecomputeJobs recompute;

    JudgeGrpcService(EvaluateService evaluate, EvaluationStore evaluations, Budgets budgets, RecomputeJobs recompute) {
        this.evaluate = evaluate;
        this.evaluations = evaluations;
        this.budgets = budgets;
        this.recompute = recompute;
    }

    @Override
    public Uni<BatchGetEvaluationsResponse> batchGetEvaluations(BatchGetEvaluationsRequest request) {
        return call(() -> evaluations.batchGet(request));
    }

    @Override
    public Uni<RecomputeEstimate> estimateRecompute(EstimateRecomputeRequest request) {
        return call(() -> recompute.estimate(request));
    }

    @Override
    public Uni<RecomputeJob> startRecompute(StartRecomputeRequest request) {
        return call(() -> recompute.start(request));
    }

    @Override
    public Uni<RecomputeJob> getRecomputeJob(GetRecomputeJobRequest request) {
        return call(() -> recompute.get(request));
    }

    @Override
    public Uni<ListRecomputeJobsResponse> listRecomputeJobs(ListRecomputeJobsRequest request) {
        return call(() -> recompute.list(request));
    }

    @Override
    public Uni<RecomputeJob> cancelRecomputeJob(CancelRecomputeJobRequest request) {
        return call(() -> recompute.cancel(request));
    }

    @Override
    public Uni<ListBudgetUsageResponse> listBudgetUsage(ListBudgetUsageRequest request) {
        return call(() -> budgets.usage(request));
    }

    @Override
    public Uni<Evaluation> getEvaluation(GetEvaluationRequest request) {
        return call(() -> evaluations.get(request));
    }

    @Override
    public Uni<RecordSnapshot> getRecordSnapshot(GetRecordSnapshotRequest request) {
        return call(() -> evaluations.snapshot(request));
    }

    @Override
    public Uni<ListEvaluationsResponse> listEvaluations(ListEvaluationsRequest request) {
        return call(() -> evaluations.list(request));
    }

    @Override
    public Uni<EvaluateResponse> evaluate(EvaluateRequest request) {
        return Uni.createFrom().deferred(() -> evaluate.evaluate(request));
    }

    @Override
    public Multi<EvaluateResult> evaluateStream(EvaluateRequest request) {
        return Multi.createFrom().deferred(() -> evaluate.evaluateEach(request));
    }
}
