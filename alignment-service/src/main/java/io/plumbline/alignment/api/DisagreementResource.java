package io.plumbline.alignment.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.alignment.disagreement.DisagreementService;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsResponse;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** REST twin of ListDisagreements (proto3 JSON bodies, the same semantics and errors). */
@Path("/api/v1/projects/{project}/metrics/{metric}/disagreements")
@Produces(MediaType.APPLICATION_JSON)
public class DisagreementResource {

    private final DisagreementService disagreements;

    DisagreementResource(DisagreementService disagreements) {
        this.disagreements = disagreements;
    }

    @GET
    @Operation(summary = "Resolved annotations that disagree with the judge, newest first, paged")
    public Uni<ListDisagreementsResponse> list(@PathParam("project") String project, @PathParam("metric") String metric,
            @QueryParam("version") @DefaultValue("0") int version,
            @QueryParam("deltaThreshold") Double deltaThreshold,
            @QueryParam("includeSnapshots") @DefaultValue("false") boolean includeSnapshots,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken) {
        var request = ListDisagreementsRequest.newBuilder().setProjectId(project).setMetricId(metric).setVersion(version)
                .setIncludeSnapshots(includeSnapshots).setPageSize(pageSize).setPageToken(pageToken);
        if (deltaThreshold != null) {
            request.setDeltaThreshold(deltaThreshold);
        }
        return call(() -> disagreements.list(request.build()));
    }
}
