package io.plumbline.annotation.api;

import io.grpc.StatusRuntimeException;
import io.plumbline.common.api.ApiExceptionMapper;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * REST answers for refusals that are plain gRPC statuses rather than {@code ApiException}s (UNAUTHENTICATED and
 * PERMISSION_DENIED from the caller's credentials), as the same problem body.
 */
@Provider
public class StatusExceptionMapper implements ExceptionMapper<StatusRuntimeException> {

    @Override
    public Response toResponse(StatusRuntimeException e) {
        int httpStatus = ApiExceptionMapper.httpStatus(e.getStatus().getCode());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", Response.Status.fromStatusCode(httpStatus).getReasonPhrase());
        body.put("status", httpStatus);
        body.put("code", e.getStatus().getCode().name());
        body.put("detail", e.getStatus().getDescription());
        return Response.status(httpStatus).type(ApiExceptionMapper.PROBLEM_JSON).entity(body).build();
    }
}
