package io.plumbline.registry.api;

import static io.plumbline.common.api.ServiceCalls.call;

import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.CreateVersionRequest;
import io.plumbline.proto.registry.v1.DiffVersionsRequest;
import io.plumbline.proto.registry.v1.DiffVersionsResponse;
import io.plumbline.proto.registry.v1.ForkMetricRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.GetPublishedVersionRequest;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.ListMetricsRequest;
import io.plumbline.proto.registry.v1.ListMetricsResponse;
import io.plumbline.proto.registry.v1.ListPublicationsRequest;
import io.plumbline.proto.registry.v1.ListPublicationsResponse;
import io.plumbline.proto.registry.v1.ListPublishedVersionsRequest;
import io.plumbline.proto.registry.v1.ListPublishedVersionsResponse;
import io.plumbline.proto.registry.v1.ListVersionsRequest;
import io.plumbline.proto.registry.v1.ListVersionsResponse;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.MetricWithVersion;
import io.plumbline.proto.registry.v1.PublishVersionRequest;
import io.plumbline.proto.registry.v1.RevertToVersionRequest;
import io.plumbline.proto.registry.v1.SetArchivedRequest;
import io.plumbline.proto.registry.v1.UpdateMetricRequest;
import io.plumbline.registry.metric.MetricService;
import io.plumbline.registry.version.VersionService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The REST API, with the gRPC API's semantics: bodies are the same messages in the proto3 JSON mapping; the project and
 * ids in the path win over those in the body; refusals are problem bodies with the mirrored status (400, 404, 409, 412).
 */
@Path("/api/v1/projects/{project}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "metrics", description = "Judge metrics and their immutable versions")
public class MetricRegistryResource {

    private final MetricService metrics;
    private final VersionService versions;

    MetricRegistryResource(MetricService metrics, VersionService versions) {
        this.metrics = metrics;
        this.versions = versions;
    }

    @POST
    @Path("/metrics")
    @Operation(summary = "Create a custom metric with its version 1, published")
    public Uni<MetricWithVersion> create(@PathParam("project") String project, CreateMetricRequest body) {
        return call(() -> metrics.create(body.toBuilder().setProjectId(project).build()));
    }

    @GET
    @Path("/metrics")
    @Operation(summary = "List the project's metrics and the built-ins, by name, paged")
    public Uni<ListMetricsResponse> list(@PathParam("project") String project,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken,
            @QueryParam("excludeBuiltin") @DefaultValue("false") boolean excludeBuiltin,
            @QueryParam("includeArchived") @DefaultValue("false") boolean includeArchived,
            @QueryParam("level") @DefaultValue("LEVEL_UNSPECIFIED") String level) {
        return call(() -> metrics.list(ListMetricsRequest.newBuilder().setProjectId(project).setPageSize(pageSize)
                .setPageToken(pageToken).setExcludeBuiltin(excludeBuiltin).setIncludeArchived(includeArchived)
                .setLevel(parseLevel(level)).build()));
    }

    @GET
    @Path("/metrics/{metric}")
    @Operation(summary = "Read a metric's settings")
    public Uni<Metric> get(@PathParam("project") String project, @PathParam("metric") String metric) {
        return call(() -> metrics.get(GetMetricRequest.newBuilder().setProjectId(project).setMetricId(metric).build()));
    }

    @PUT
    @Path("/metrics/{metric}")
    @Operation(summary = "Change a custom metric's settings (pass expectedRevision to update safely)")
    public Uni<Metric> update(@PathParam("project") String project, @PathParam("metric") String metric,
            UpdateMetricRequest body) {
        return call(() -> metrics.update(body.toBuilder().setProjectId(project).setMetricId(metric).build()));
    }

    @POST
    @Path("/metrics/{metric}/archive")
    @Operation(summary = "Archive or restore a custom metric (body: archived, actor)")
    public Uni<Metric> setArchived(@PathParam("project") String project, @PathParam("metric") String metric,
            SetArchivedRequest body) {
        return call(() -> metrics.setArchived(body.toBuilder().setProjectId(project).setMetricId(metric).build()));
    }

    @POST
    @Path("/metrics/{metric}/fork")
    @Operation(summary = "Fork a metric (a built-in, typically) into a new custom metric of the project")
    public Uni<MetricWithVersion> fork(@PathParam("project") String project, @PathParam("metric") String metric,
            ForkMetricRequest body) {
        return call(() -> metrics.fork(body.toBuilder().setProjectId(project).setSourceMetricId(metric).build()));
    }

    @POST
    @Path("/metrics/{metric}/versions")
    @Operation(summary = "Create a version on top of the head (parentVersion must be the head, else 409)")
    public Uni<MetricVersion> createVersion(@PathParam("project") String project, @PathParam("metric") String metric,
            CreateVersionRequest body) {
        return call(() -> versions.create(body.toBuilder().setProjectId(project).setMetricId(metric).build()));
    }

    @GET
    @Path("/metrics/{metric}/versions")
    @Operation(summary = "List a metric's versions, newest first, paged")
    public Uni<ListVersionsResponse> listVersions(@PathParam("project") String project,
            @PathParam("metric") String metric, @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken) {
        return call(() -> versions.list(ListVersionsRequest.newBuilder().setProjectId(project).setMetricId(metric)
                .setPageSize(pageSize).setPageToken(pageToken).build()));
    }

    @GET
    @Path("/metrics/{metric}/versions/{version}")
    @Operation(summary = "Read one version")
    public Uni<MetricVersion> getVersion(@PathParam("project") String project, @PathParam("metric") String metric,
            @PathParam("version") int version) {
        return call(() -> versions.get(GetVersionRequest.newBuilder().setProjectId(project).setMetricId(metric)
                .setVersion(version).build()));
    }

    @GET
    @Path("/metrics/{metric}/published")
    @Operation(summary = "Read the metric with its published version")
    public Uni<MetricWithVersion> getPublished(@PathParam("project") String project, @PathParam("metric") String metric) {
        return call(() -> versions.getPublished(GetPublishedVersionRequest.newBuilder().setProjectId(project)
                .setMetricId(metric).build()));
    }

    @POST
    @Path("/metrics/{metric}/versions/{version}/publish")
    @Operation(summary = "Publish an existing version (body: actor)")
    public Uni<Metric> publish(@PathParam("project") String project, @PathParam("metric") String metric,
            @PathParam("version") int version, PublishVersionRequest body) {
        return call(() -> versions.publish(body.toBuilder().setProjectId(project).setMetricId(metric)
                .setVersion(version).build()));
    }

    @POST
    @Path("/metrics/{metric}/versions/{version}/revert")
    @Operation(summary = "Publish an earlier version's content as a new head version")
    public Uni<MetricWithVersion> revert(@PathParam("project") String project, @PathParam("metric") String metric,
            @PathParam("version") int version, RevertToVersionRequest body) {
        return call(() -> versions.revert(body.toBuilder().setProjectId(project).setMetricId(metric)
                .setVersion(version).build()));
    }

    @GET
    @Path("/metrics/{metric}/diff")
    @Operation(summary = "Unified diff of two versions' prompt template, guidelines and examples")
    public Uni<DiffVersionsResponse> diff(@PathParam("project") String project, @PathParam("metric") String metric,
            @QueryParam("from") @DefaultValue("0") int from, @QueryParam("to") @DefaultValue("0") int to) {
        return call(() -> versions.diff(DiffVersionsRequest.newBuilder().setProjectId(project).setMetricId(metric)
                .setFromVersion(from).setToVersion(to).build()));
    }

    @GET
    @Path("/metrics/{metric}/publications")
    @Operation(summary = "The publication history (publish and revert), newest first, paged")
    public Uni<ListPublicationsResponse> publications(@PathParam("project") String project,
            @PathParam("metric") String metric, @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken) {
        return call(() -> versions.publications(ListPublicationsRequest.newBuilder().setProjectId(project)
                .setMetricId(metric).setPageSize(pageSize).setPageToken(pageToken).build()));
    }

    @GET
    @Path("/published-versions")
    @Operation(summary = "Every published metric version visible to the project (built-ins included), paged")
    public Uni<ListPublishedVersionsResponse> listPublished(@PathParam("project") String project,
            @QueryParam("pageSize") @DefaultValue("0") int pageSize,
            @QueryParam("pageToken") @DefaultValue("") String pageToken) {
        return call(() -> versions.listPublished(ListPublishedVersionsRequest.newBuilder().setProjectId(project)
                .setPageSize(pageSize).setPageToken(pageToken).build()));
    }

    private static Level parseLevel(String level) {
        try {
            return Level.valueOf(level);
        } catch (IllegalArgumentException e) {
            throw io.plumbline.common.api.ApiException.invalid("level",
                    "must be LEVEL_SPAN, LEVEL_TRACE or LEVEL_SESSION (was \"" + level + "\")");
        }
    }
}
