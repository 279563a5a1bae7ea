package io.plumbline.judge.intake;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;

/**
 * OTLP/gRPC: {@code opentelemetry.proto.collector.trace.v1.TraceService/Export} on the service's port. The request is
 * received as bytes and decoded here, so that a malformed one is INVALID_ARGUMENT as OTLP says (grpc-java's own
 * parsing would answer INTERNAL). Answers INVALID_ARGUMENT when no span is acceptable and UNAVAILABLE (retryable) when
 * Kafka did not take the spans in time. Never blocks: the answer is sent when the broker acknowledged.
 */
@GrpcService
public class OtlpGrpcReceiver implements BindableService, TraceServiceGrpc.AsyncService {

    static final String SOURCE = "grpc";

    /** Export, with the request left as bytes. */
    private static final MethodDescriptor<byte[], ExportTraceServiceResponse> EXPORT = TraceServiceGrpc.getExportMethod()
            .toBuilder(RawRequest.INSTANCE, ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance())).build();

    @Inject
    OtlpTraceReception reception;

    @Override
    public ServerServiceDefinition bindService() {
        return ServerServiceDefinition.builder(ServiceDescriptor.newBuilder(TraceServiceGrpc.SERVICE_NAME).addMethod(EXPORT).build())
                .addMethod(EXPORT, ServerCalls.asyncUnaryCall(this::export))
                .build();
    }

    private void export(byte[] bytes, StreamObserver<ExportTraceServiceResponse> responses) {
        ExportTraceServiceRequest request;
        try {
            request = OtlpTraceCodec.decodeProtobuf(bytes);
        } catch (UndecodableSpansException e) {
            responses.onError(status(e).asRuntimeException());
            return;
        }
        export(request, responses);
    }

    @Override
    public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> responses) {
        reception.receive(request, SOURCE).subscribe().with(response -> {
            responses.onNext(response);
            responses.onCompleted();
        }, failure -> responses.onError(status(failure).asRuntimeException()));
    }

    private static Status status(Throwable failure) {
        if (failure instanceof UndecodableSpansException) {
            return Status.INVALID_ARGUMENT.withDescription(failure.getMessage());
        }
        if (failure instanceof SpanLogUnavailableException) {
            return Status.UNAVAILABLE.withDescription(failure.getMessage());
        }
        return Status.INTERNAL.withDescription(failure.getMessage());
    }

    /** The request's bytes as they came. */
    private enum RawRequest implements MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

        @Override
        public InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
