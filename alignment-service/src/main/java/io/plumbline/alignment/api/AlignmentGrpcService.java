package io.plumbline.alignment.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.alignment.agreement.AgreementService;
import io.plumbline.alignment.disagreement.DisagreementService;
import io.plumbline.alignment.run.RunService;
import io.plumbline.alignment.trigger.TriggerService;
import io.plumbline.proto.alignment.v1.AcceptRunRequest;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.CancelRunRequest;
import io.plumbline.proto.alignment.v1.DiscardRunRequest;
import io.plumbline.proto.alignment.v1.GetRunRequest;
import io.plumbline.proto.alignment.v1.ListRunsRequest;
import io.plumbline.proto.alignment.v1.ListRunsResponse;
import io.plumbline.proto.alignment.v1.MutinyAlignmentGrpc;
import io.plumbline.proto.alignment.v1.StartRunRequest;
import io.plumbline.proto.alignment.v1.WatchRunRequest;
import io.plumbline.common.api.DatabaseErrors;
import io.smallrye.mutiny.Multi;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.GetTriggerStatusRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsResponse;
import io.plumbline.proto.alignment.v1.MetricAgreement;
import io.plumbline.proto.alignment.v1.TriggerStatus;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** The gRPC API: alignment runs, disagreements, agreement statistics and trigger status. */
@GrpcService
public class AlignmentGrpcService extends MutinyAlignmentGrpc.AlignmentImplBase {

    private final DisagreementService disagreements;
    private final AgreementService agreement;
    private final TriggerService triggers;
    private final RunService runs;

    AlignmentGrpcService(DisagreementService disagreements, AgreementService agreement, TriggerService triggers,
            RunService runs) {
        this.disagreements = disagreements;
        this.agreement = agreement;
        this.triggers = triggers;
        this.runs = runs;
    }

    @Override
    public Uni<AlignmentRun> startRun(StartRunRequest request) {
        return call(() -> runs.start(request, AlignmentRun.Trigger.TRIGGER_MANUAL));
    }

    @Override
    public Uni<AlignmentRun> getRun(GetRunRequest request) {
        return call(() -> runs.get(request));
    }

    @Override
    public Uni<ListRunsResponse> listRuns(ListRunsRequest request) {
        return call(() -> runs.list(request));
    }

    @Override
    public Multi<AlignmentRun> watchRun(WatchRunRequest request) {
        return Multi.createFrom().<AlignmentRun>deferred(() -> runs.watch(request))
                .onFailure().transform(DatabaseErrors::translate);
    }

    @Override
    public Uni<AlignmentRun> cancelRun(CancelRunRequest request) {
        return call(() -> runs.cancel(request));
    }

    @Override
    public Uni<AlignmentRun> acceptRun(AcceptRunRequest request) {
        return call(() -> runs.accept(request));
    }

    @Override
    public Uni<AlignmentRun> discardRun(DiscardRunRequest request) {
        return call(() -> runs.discard(request));
    }

    @Override
    public Uni<TriggerStatus> getTriggerStatus(GetTriggerStatusRequest request) {
        return call(() -> triggers.status(request));
    }

    @Override
    public Uni<ListDisagreementsResponse> listDisagreements(ListDisagreementsRequest request) {
        return call(() -> disagreements.list(request));
    }

    @Override
    public Uni<MetricAgreement> getAgreement(GetAgreementRequest request) {
        return call(() -> agreement.get(request));
    }
}
