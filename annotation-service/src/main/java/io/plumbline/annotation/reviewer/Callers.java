package io.plumbline.annotation.reviewer;

import io.grpc.Context;
import io.plumbline.common.api.ApiException;
import io.plumbline.proto.annotation.v1.Reviewer;
import jakarta.enterprise.context.ApplicationScoped;

/** Turns the credentials of a call into the {@link Caller}, for gRPC (through {@link ApiKeyInterceptor}) and REST. */
@ApplicationScoped
public class Callers {

    static final Context.Key<String> API_KEY = Context.key("plumbline-api-key");

    private final ReviewerDirectory directory;

    Callers(ReviewerDirectory directory) {
        this.directory = directory;
    }

    /** The caller of the current gRPC call; read it before the call goes asynchronous. */
    public Caller ofGrpcCall(String projectId) {
        return ofApiKey(API_KEY.get(), projectId);
    }

    /** The caller holding {@code apiKey}, working in {@code projectId}. */
    public Caller ofApiKey(String apiKey, String projectId) {
        if (apiKey == null || apiKey.isEmpty()) {
            throw ApiException.unauthenticated("no API key: send it in the x-api-key metadata (gRPC) or X-API-Key header (REST)");
        }
        Reviewer reviewer = directory.byApiKey(apiKey)
                .orElseThrow(() -> ApiException.unauthenticated("the API key is not known"));
        if (projectId == null || projectId.isEmpty()) {
            throw ApiException.invalid("project_id", "is required");
        }
        if (!reviewer.getProjectIdsList().isEmpty() && !reviewer.getProjectIdsList().contains(projectId)) {
            throw ApiException.permissionDenied("reviewer " + reviewer.getId()
                    + " has no access to project \"" + projectId + "\"");
        }
        return new Caller(reviewer);
    }
}
