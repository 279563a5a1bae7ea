package io.plumbline.alignment.run;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.plumbline.common.api.ApiException;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.MutinyMetricRegistryGrpc;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** The metric-registry over gRPC: metrics and versions are read from it, accepted candidates written to it. */
@ApplicationScoped
public class Registry {

    /** A registry failure that is not the caller's fault (unavailable, internal). */
    public static final class RegistryFailed extends RuntimeException {
        RegistryFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @GrpcClient("registry")
    MutinyMetricRegistryGrpc.MutinyMetricRegistryStub stub;

    public MutinyMetricRegistryGrpc.MutinyMetricRegistryStub stub() {
        return stub;
    }

    Uni<Metric> metric(String projectId, String metricId) {
        return Contexts.onCallerContext(() -> stub.getMetric(GetMetricRequest.newBuilder().setProjectId(projectId)
                        .setMetricId(metricId).build()))
                .onFailure().transform(Registry::translate);
    }

    Uni<MetricVersion> version(String projectId, String metricId, int version) {
        return Contexts.onCallerContext(() -> stub.getVersion(GetVersionRequest.newBuilder().setProjectId(projectId)
                        .setMetricId(metricId).setVersion(version).build()))
                .onFailure().transform(Registry::translate);
    }

    /** NOT_FOUND and the caller's mistakes pass through as API errors; anything else is a registry failure. */
    static Throwable translate(Throwable failure) {
        if (failure instanceof StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            String message = "metric-registry: " + e.getStatus().getDescription();
            return switch (code) {
                case NOT_FOUND -> ApiException.notFound(message);
                case FAILED_PRECONDITION -> ApiException.failedPrecondition(message);
                case ALREADY_EXISTS -> ApiException.alreadyExists(message);
                case INVALID_ARGUMENT -> ApiException.failedPrecondition(message);
                default -> new RegistryFailed(message + " (" + code + ")", e);
            };
        }
        return failure;
    }
}
