package io.plumbline.judge.api;

import io.plumbline.judge.judging.EvaluateService;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.EvaluateResponse;
import io.plumbline.proto.judge.v1.EvaluateResult;
import io.plumbline.proto.judge.v1.MutinyJudgeGrpc;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * The Judge gRPC API. Implemented so far: ad-hoc Evaluate and EvaluateStream with draft metrics on supplied snapshots.
 * The other rpcs answer UNIMPLEMENTED until the evaluation store and recompute jobs land.
 */
@GrpcService
public class JudgeGrpcService extends MutinyJudgeGrpc.JudgeImplBase {

    private final EvaluateService evaluate;

    JudgeGrpcService(EvaluateService evaluate) {
        this.evaluate = evaluate;
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
