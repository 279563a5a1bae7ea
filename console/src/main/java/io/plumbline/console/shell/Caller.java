package io.plumbline.console.shell;

import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.GetCurrentReviewerRequest;
import io.plumbline.proto.annotation.v1.Reviewer;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;

/**
 * The person using the console in this request. They sign in with the API key the annotation-service maps to a
 * reviewer; the key travels in an HttpOnly cookie and is passed on to every service as {@code x-api-key}.
 */
@RequestScoped
@jakarta.inject.Named("caller")
public class Caller {

    public static final String COOKIE = "plumbline_key";
    static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

    @Inject
    HttpHeaders headers;

    @GrpcClient("annotations")
    AnnotationsGrpc.AnnotationsBlockingStub annotations;

    @Inject
    ConsoleConfig config;

    private Reviewer reviewer;

    /** The signed-in reviewer; {@link SignInRequired} when there is no key or the service does not know it. */
    public Reviewer reviewer() {
        if (reviewer == null) {
            String key = key();
            if (key == null) {
                throw new SignInRequired("Sign in with your reviewer API key.");
            }
            reviewer = lookUp(key);
        }
        return reviewer;
    }

    /** For the page header: the signed-in reviewer's name, or null (never asks the service twice, never throws). */
    public String signedInName() {
        if (key() == null) {
            return null;
        }
        try {
            Reviewer r = reviewer();
            return r.getDisplayName().isBlank() ? r.getId() : r.getDisplayName();
        } catch (RuntimeException e) {
            return null;
        }
    }

    public boolean admin() {
        return signedInName() != null && reviewer.getAdmin();
    }

    public String id() {
        return reviewer().getId();
    }

    public String project() {
        return config.projectId();
    }

    /** {@code stub} carrying this caller's key. */
    public <S extends AbstractStub<S>> S authorized(S stub) {
        reviewer();
        Metadata metadata = new Metadata();
        metadata.put(API_KEY, key());
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    /** Checks a key given at sign-in: the reviewer it belongs to. */
    public Reviewer lookUp(String key) {
        Metadata metadata = new Metadata();
        metadata.put(API_KEY, key);
        try {
            return annotations.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                    .getCurrentReviewer(GetCurrentReviewerRequest.newBuilder().setProjectId(project()).build());
        } catch (StatusRuntimeException e) {
            switch (e.getStatus().getCode()) {
                case UNAUTHENTICATED, PERMISSION_DENIED -> throw new SignInRequired(ServiceError.of(e).message());
                default -> throw e;
            }
        }
    }

    private String key() {
        Cookie cookie = headers.getCookies().get(COOKIE);
        return cookie == null || cookie.getValue().isBlank() ? null : cookie.getValue();
    }
}
