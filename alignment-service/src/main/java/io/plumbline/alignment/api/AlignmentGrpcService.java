package io.plumbline.alignment.api;

import io.plumbline.alignment.disagreement.DisagreementService;
import io.plumbline.common.api.DatabaseErrors;
import io.plumbline.proto.alignment.v1.MutinyAlignmentGrpc;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsResponse;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * The gRPC API. Implemented so far: disagreements. Runs, agreement statistics and trigger status answer UNIMPLEMENTED
 * until their issue lands.
 */
@GrpcService
public class AlignmentGrpcService extends MutinyAlignmentGrpc.AlignmentImplBase {

    private final DisagreementService disagreements;

    AlignmentGrpcService(DisagreementService disagreements) {
        this.disagreements = disagreements;
    }

    @Override
    public Uni<ListDisagreementsResponse> listDisagreements(ListDisagreementsRequest request) {
        return Uni.createFrom().<ListDisagreementsResponse>deferred(() -> disagreements.list(request))
                .onFailure().transform(DatabaseErrors::translate);
    }
}
