package io.plumbline.common.api;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.Map;

/**
 * A refused request, carrying everything both transports need: the gRPC status code, a message for people, and the
 * violated fields. Being a {@link StatusRuntimeException}, it leaves a gRPC service as is (with a
 * {@code google.rpc.BadRequest} or {@code google.rpc.ErrorInfo} in the status details); REST turns it into a problem
 * body through {@link ApiExceptionMapper}.
 */
public final class ApiException extends StatusRuntimeException {

    private final List<FieldViolation> violations;
    private final Map<String, String> details;

    private ApiException(Status.Code code, String message, List<FieldViolation> violations, Map<String, String> details) {
        super(Status.fromCode(code).withDescription(message), trailers(code, message, violations, details));
        this.violations = List.copyOf(violations);
        this.details = Map.copyOf(details);
    }

    /** The request broke one or more rules. */
    public static ApiException invalid(List<FieldViolation> violations) {
        String message = violations.stream().map(FieldViolation::toString).reduce((a, b) -> a + "; " + b).orElse("invalid request");
        return new ApiException(Status.Code.INVALID_ARGUMENT, message, violations, Map.of());
    }

    /** One field broke one rule. */
    public static ApiException invalid(String field, String rule) {
        return invalid(List.of(new FieldViolation(field, rule)));
    }

    public static ApiException notFound(String message) {
        return new ApiException(Status.Code.NOT_FOUND, message, List.of(), Map.of());
    }

    public static ApiException alreadyExists(String message) {
        return new ApiException(Status.Code.ALREADY_EXISTS, message, List.of(), Map.of());
    }

    /** A concurrent change won; {@code details} says what the caller should retry from (for example the current head). */
    public static ApiException aborted(String message, Map<String, String> details) {
        return new ApiException(Status.Code.ABORTED, message, List.of(), details);
    }

    /** The caller's credentials are missing or unknown. */
    public static ApiException unauthenticated(String message) {
        return new ApiException(Status.Code.UNAUTHENTICATED, message, List.of(), Map.of());
    }

    /** The caller is known but may not do this. */
    public static ApiException permissionDenied(String message) {
        return new ApiException(Status.Code.PERMISSION_DENIED, message, List.of(), Map.of());
    }

    /** An operation (or a form of it) this version of the service does not offer yet; the message says which. */
    public static ApiException unimplemented(String message) {
        return new ApiException(Status.Code.UNIMPLEMENTED, message, List.of(), Map.of());
    }

    /** The service cannot answer yet, or for now; the caller may retry (the message says what it waits for). */
    public static ApiException unavailable(String message) {
        return new ApiException(Status.Code.UNAVAILABLE, message, List.of(), Map.of());
    }

    public static ApiException failedPrecondition(String message) {
        return new ApiException(Status.Code.FAILED_PRECONDITION, message, List.of(), Map.of());
    }

    public Status.Code code() {
        return getStatus().getCode();
    }

    public String message() {
        return getStatus().getDescription();
    }

    public List<FieldViolation> violations() {
        return violations;
    }

    public Map<String, String> details() {
        return details;
    }

    private static io.grpc.Metadata trailers(Status.Code code, String message, List<FieldViolation> violations,
            Map<String, String> details) {
        var status = com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage(message);
        if (!violations.isEmpty()) {
            var badRequest = BadRequest.newBuilder();
            violations.forEach(v -> badRequest.addFieldViolations(
                    BadRequest.FieldViolation.newBuilder().setField(v.field()).setDescription(v.rule())));
            status.addDetails(Any.pack(badRequest.build()));
        }
        if (!details.isEmpty()) {
            status.addDetails(Any.pack(ErrorInfo.newBuilder().setReason(code.name()).setDomain("plumbline.io")
                    .putAllMetadata(details).build()));
        }
        return StatusProto.toStatusRuntimeException(status.build()).getTrailers();
    }

    /** A field (in proto field path notation, for example {@code content.examples[2].critique}) and the rule it broke. */
    public record FieldViolation(String field, String rule) {
        @Override
        public String toString() {
            return field + ": " + rule;
        }
    }
}
