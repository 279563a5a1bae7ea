package io.plumbline.alignment.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.alignment.run.RunService;
import io.plumbline.proto.alignment.v1.AcceptRunRequest;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.CancelRunRequest;
import io.plumbline.proto.alignment.v1.DiscardRunRequest;
import io.plumbline.proto.alignment.v1.GetRunRequest;
import io.plumbline.proto.alignment.v1.ListRunsRequest;
import io.plumbline.proto.alignment.v1.ListRunsResponse;
import io.plumbline.proto.alignment.v1.StartRunRequest;
import io.plumbline.proto.alignment.v1.WatchRunRequest;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * REST twins of the run rpcs (proto3 JSON bodies, the same semantics and errors). Bodies carry the request message; the
 * path's project (and run) win over the body's.
 */
@Path("/api/v1/projects/{project}/alignment-runs")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class RunResource {

    private final RunService runs;

    RunResource(RunService runs) {
        this.runs = runs;
    }

    @POST
    @Operation(summary = "Start an alignment run of a metric (idempotent on requestId)")
    public Uni<AlignmentRun> start(@PathParam("project") String project, StartRunRequest body) {
        var request = (body == null ? StartRunRequest.newBuilder() : body.toBuilder()).setProjectId(project).build();
        return call(() -> runs.start(request, AlignmentRun.Trigger.TRIGGER_MANUAL));
    }

    @GET
    @Operation(summary = "Runs of the project (or of one metric), newest first, paged")
    public Uni<ListRunsResponse> list(@PathParam("project") String project,
            @QueryParam("metricId") @DefaultValue("") String metricId,
            @QueryParam("status") List<AlignmentRun.Status> statuses,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken) {
        var request = ListRunsRequest.newBuilder().setProjectId(project).setMetricId(metricId).setPageSize(pageSize)
                .setPageToken(pageToken);
        if (statuses != null) {
            request.addAllStatuses(statuses);
        }
        return call(() -> runs.list(request.build()));
    }

    @GET
    @Path("/{run}")
    @Operation(summary = "Read a run")
    public Uni<AlignmentRun> get(@PathParam("project") String project, @PathParam("run") String run) {
        return call(() -> runs.get(GetRunRequest.newBuilder().setProjectId(project).setRunId(run).build()));
    }

    @GET
    @Path("/{run}/watch")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "The run now and at every change, as server-sent events, until its terminal snapshot")
    public Multi<AlignmentRun> watch(@PathParam("project") String project, @PathParam("run") String run) {
        return Multi.createFrom().deferred(() -> runs.watch(WatchRunRequest.newBuilder().setProjectId(project)
                .setRunId(run).build()));
    }

    @POST
    @Path("/{run}/cancel")
    @Operation(summary = "Cancel a run in any phase (idempotent)")
    public Uni<AlignmentRun> cancel(@PathParam("project") String project, @PathParam("run") String run,
            CancelRunRequest body) {
        var request = (body == null ? CancelRunRequest.newBuilder() : body.toBuilder()).setProjectId(project)
                .setRunId(run).build();
        return call(() -> runs.cancel(request));
    }

    @POST
    @Path("/{run}/accept")
    @Operation(summary = "Accept an aligned run's candidate as a new version (or a fork of a built-in)")
    public Uni<AlignmentRun> accept(@PathParam("project") String project, @PathParam("run") String run,
            AcceptRunRequest body) {
        var request = (body == null ? AcceptRunRequest.newBuilder() : body.toBuilder()).setProjectId(project)
                .setRunId(run).build();
        return call(() -> runs.accept(request));
    }

    @POST
    @Path("/{run}/discard")
    @Operation(summary = "Discard an aligned run's candidate; the run stays in the history")
    public Uni<AlignmentRun> discard(@PathParam("project") String project, @PathParam("run") String run,
            DiscardRunRequest body) {
        var request = (body == null ? DiscardRunRequest.newBuilder() : body.toBuilder()).setProjectId(project)
                .setRunId(run).build();
        return call(() -> runs.discard(request));
    }
}
