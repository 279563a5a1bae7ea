package io.plumbline.judge.intake;

import com.google.rpc.Status;

import io.grpc.Status.Code;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * OTLP/HTTP: {@code POST /v1/traces} with {@code application/x-protobuf} or {@code application/json} (gzip accepted
 * through {@code Content-Encoding}). The answer is in the request's encoding: an {@code ExportTraceServiceResponse}
 * (200, with {@code partialSuccess} when spans were rejected), or a {@code google.rpc.Status} with 400 (malformed, not
 * retryable), 415 (another content type) or 503 with {@code Retry-After} (Kafka did not take the spans; retryable).
 */
@Path("/v1/traces")
public class OtlpHttpReceiver {

    static final String SOURCE = "http";

    @Inject
    OtlpTraceReception reception;

    @Inject
    IntakeConfig config;

    @POST
    @Consumes(MediaType.WILDCARD)
    public Uni<Response> export(@HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        OtlpEncoding encoding = OtlpEncoding.ofContentType(contentType);
        if (encoding == null) {
            return Uni.createFrom().item(Response.status(415)
                    .entity("Unsupported content type " + contentType + "; use application/x-protobuf or application/json")
                    .type(MediaType.TEXT_PLAIN).build());
        }
        ExportTraceServiceRequest request;
        try {
            request = OtlpTraceCodec.decode(body == null ? new byte[0] : body, encoding);
        } catch (UndecodableSpansException e) {
            return Uni.createFrom().item(status(400, Code.INVALID_ARGUMENT, e.getMessage(), encoding));
        }
        return reception.receive(request, SOURCE)
                .map(response -> Response.ok(OtlpTraceCodec.encode(response, encoding), encoding.mediaType()).build())
                .onFailure().recoverWithItem(failure -> {
                    if (failure instanceof UndecodableSpansException) {
                        return status(400, Code.INVALID_ARGUMENT, failure.getMessage(), encoding);
                    }
                    if (failure instanceof SpanLogUnavailableException) {
                        Response unavailable = status(503, Code.UNAVAILABLE, failure.getMessage(), encoding);
                        return Response.fromResponse(unavailable).header("Retry-After", config.retryAfterSeconds()).build();
                    }
                    return status(500, Code.INTERNAL, String.valueOf(failure.getMessage()), encoding);
                });
    }

    private static Response status(int httpStatus, Code code, String message, OtlpEncoding encoding) {
        Status status = Status.newBuilder().setCode(code.value()).setMessage(message).build();
        return Response.status(httpStatus).entity(OtlpTraceCodec.encode(status, encoding)).type(encoding.mediaType()).build();
    }
}
