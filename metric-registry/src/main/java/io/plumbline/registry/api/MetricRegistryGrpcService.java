package io.plumbline.registry.api;

import static io.plumbline.common.api.ServiceCalls.call;

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
import io.plumbline.proto.registry.v1.MetricRegistry;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.MetricWithVersion;
import io.plumbline.proto.registry.v1.PublishVersionRequest;
import io.plumbline.proto.registry.v1.RevertToVersionRequest;
import io.plumbline.proto.registry.v1.SetArchivedRequest;
import io.plumbline.proto.registry.v1.UpdateMetricRequest;
import io.plumbline.registry.metric.MetricService;
import io.plumbline.registry.version.VersionService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** The gRPC API: a thin adapter over the services; refusals leave as {@link io.plumbline.common.api.ApiException}. */
@GrpcService
public class MetricRegistryGrpcService implements MetricRegistry {

    private final MetricService metrics;
    private final VersionService versions;

    MetricRegistryGrpcService(MetricService metrics, VersionService versions) {
        this.metrics = metrics;
        this.versions = versions;
    }

    @Override
    public Uni<MetricWithVersion> createMetric(CreateMetricRequest request) {
        return call(() -> metrics.create(request));
    }

    @Override
    public Uni<Metric> getMetric(GetMetricRequest request) {
        return call(() -> metrics.get(request));
    }

    @Override
    public Uni<ListMetricsResponse> listMetrics(ListMetricsRequest request) {
        return call(() -> metrics.list(request));
    }

    @Override
    public Uni<Metric> updateMetric(UpdateMetricRequest request) {
        return call(() -> metrics.update(request));
    }

    @Override
    public Uni<Metric> setArchived(SetArchivedRequest request) {
        return call(() -> metrics.setArchived(request));
    }

    @Override
    public Uni<MetricWithVersion> forkMetric(ForkMetricRequest request) {
        return call(() -> metrics.fork(request));
    }

    @Override
    public Uni<MetricVersion> createVersion(CreateVersionRequest request) {
        return call(() -> versions.create(request));
    }

    @Override
    public Uni<MetricVersion> getVersion(GetVersionRequest request) {
        return call(() -> versions.get(request));
    }

    @Override
    public Uni<MetricWithVersion> getPublishedVersion(GetPublishedVersionRequest request) {
        return call(() -> versions.getPublished(request));
    }

    @Override
    public Uni<ListPublishedVersionsResponse> listPublishedVersions(ListPublishedVersionsRequest request) {
        return call(() -> versions.listPublished(request));
    }

    @Override
    public Uni<ListVersionsResponse> listVersions(ListVersionsRequest request) {
        return call(() -> versions.list(request));
    }

    @Override
    public Uni<Metric> publishVersion(PublishVersionRequest request) {
        return call(() -> versions.publish(request));
    }

    @Override
    public Uni<MetricWithVersion> revertToVersion(RevertToVersionRequest request) {
        return call(() -> versions.revert(request));
    }

    @Override
    public Uni<DiffVersionsResponse> diffVersions(DiffVersionsRequest request) {
        return call(() -> versions.diff(request));
    }

    @Override
    public Uni<ListPublicationsResponse> listPublications(ListPublicationsRequest request) {
        return call(() -> versions.publications(request));
    }
}
