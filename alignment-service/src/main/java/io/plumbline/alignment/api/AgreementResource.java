package io.plumbline.alignment.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.alignment.agreement.AgreementService;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.MetricAgreement;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** REST twin of GetAgreement. */
@Path("/api/v1/projects/{project}/metrics/{metric}/agreement")
@Produces(MediaType.APPLICATION_JSON)
public class AgreementResource {

    private final AgreementService agreement;

    AgreementResource(AgreementService agreement) {
        this.agreement = agreement;
    }

    @GET
    @Operation(summary = "Judge-vs-expert agreement per metric version (accuracy, kappa, rates, matrix, MAE), with n and intervals")
    public Uni<MetricAgreement> get(@PathParam("project") String project, @PathParam("metric") String metric,
            @QueryParam("version") @DefaultValue("0") int version,
            @QueryParam("deltaThreshold") Double deltaThreshold,
            @QueryParam("includeDaily") @DefaultValue("false") boolean includeDaily,
            @QueryParam("confidenceLevel") @DefaultValue("0") double confidenceLevel) {
        var request = GetAgreementRequest.newBuilder().setProjectId(project).setMetricId(metric).setVersion(version)
                .setIncludeDaily(includeDaily).setConfidenceLevel(confidenceLevel);
        if (deltaThreshold != null) {
            request.setDeltaThreshold(deltaThreshold);
        }
        return call(() -> agreement.get(request.build()));
    }
}
