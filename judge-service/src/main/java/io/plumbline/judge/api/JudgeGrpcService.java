package io.plumbline.judge.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.judge.evaluation.EvaluationStore;
import io.plumbline.judge.judging.EvaluateService;
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

/**
 * The Judge gRPC API. Implemented so far: Evaluate and EvaluateStream on supplied snapshots, GetEvaluation and
 * ListEvaluations. The other rpcs answer UNIMPLEMENTED until stored records and recompute jobs land.
 */
@GrpcService
public class JudgeGrpcService extends MutinyJudgeGrpc.JudgeImplBase {

    private final EvaluateService evaluate;
    private final EvaluationStore evaluations;
    private final Budgets budgets;

    JudgeGrpcService(EvaluateService evaluate, EvaluationStore evaluations, Budgets budgets) {
        this.evaluate = evaluate;
        this.evaluations = evaluations;
        this.budgets = budgets;
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
