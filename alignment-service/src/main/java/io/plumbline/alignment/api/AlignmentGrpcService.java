package io.plumbline.alignment.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.alignment.agreement.AgreementService;
import io.plumbline.alignment.disagreement.DisagreementService;
import io.plumbline.alignment.trigger.TriggerService;
import io.plumbline.proto.alignment.v1.MutinyAlignmentGrpc;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.GetTriggerStatusRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsResponse;
import io.plumbline.proto.alignment.v1.MetricAgreement;
import io.plumbline.proto.alignment.v1.TriggerStatus;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * The gRPC API. Implemented so far: disagreements, agreement statistics and trigger status. The run rpcs answer
 * UNIMPLEMENTED until runs land.
 */
@GrpcService
public class AlignmentGrpcService extends MutinyAlignmentGrpc.AlignmentImplBase {

    private final DisagreementService disagreements;
    private final AgreementService agreement;
    private final TriggerService triggers;

    AlignmentGrpcService(DisagreementService disagreements, AgreementService agreement, TriggerService triggers) {
        this.disagreements = disagreements;
        this.agreement = agreement;
        this.triggers = triggers;
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
