package io.plumbline.common.api;

import io.grpc.Status;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers a refused REST request the way the gRPC API does: the same code and message, as an RFC 9457 problem body
 * ({@code application/problem+json}) with the violated fields.
 */
@Provider
public class ApiExceptionMapper implements ExceptionMapper<ApiException> {

    public static final MediaType PROBLEM_JSON = new MediaType("application", "problem+json");

    @Override
    public Response toResponse(ApiException e) {
        int httpStatus = httpStatus(e.code());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", Response.Status.fromStatusCode(httpStatus).getReasonPhrase());
        body.put("status", httpStatus);
        body.put("code", e.code().name());
        body.put("detail", e.message());
        if (!e.violations().isEmpty()) {
            List<Map<String, String>> violations = e.violations().stream()
                    .map(v -> Map.of("field", v.field(), "rule", v.rule())).toList();
            body.put("violations", violations);
        }
        if (!e.details().isEmpty()) {
            body.put("details", e.details());
        }
        return Response.status(httpStatus).type(PROBLEM_JSON).entity(body).build();
    }

    /** The HTTP status that mirrors a gRPC status code. */
    public static int httpStatus(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case FAILED_PRECONDITION -> 412;
            case RESOURCE_EXHAUSTED -> 429;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
    }
}
