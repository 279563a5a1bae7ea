package io.plumbline.judge.intake;

import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What both OTLP receivers do with an export request: split it by trace id, leave out spans with invalid ids, append
 * the rest to {@code otlp_spans}, and answer as the OTLP specification says: success, success with
 * {@code partial_success} (rejected spans and why), {@link UndecodableSpansException} when no span is acceptable
 * (INVALID_ARGUMENT / 400, not retryable), {@link SpanLogUnavailableException} when Kafka did not take them
 * (UNAVAILABLE / 503, retryable).
 */
@ApplicationScoped
public class OtlpTraceReception {

    private final SpanLog spanLog;
    private final IntakeMetrics metrics;

    OtlpTraceReception(SpanLog spanLog, IntakeMetrics metrics) {
        this.spanLog = spanLog;
        this.metrics = metrics;
    }

    public Uni<ExportTraceServiceResponse> receive(ExportTraceServiceRequest request, String source) {
        TraceSplit split;
        try {
            split = TraceSplit.of(request);
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(e);
        }
        metrics.spansReceived(source, split.accepted() + split.rejected());
        if (split.rejected() > 0) {
            metrics.spansRejected(source, split.rejected());
        }
        if (split.accepted() == 0 && split.rejected() > 0) {
            return Uni.createFrom().failure(new UndecodableSpansException(
                    "no span accepted: " + split.rejected() + " rejected; first: " + split.rejectionReason()));
        }
        ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
        if (split.rejected() > 0) {
            response.setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(split.rejected())
                    .setErrorMessage(split.rejected() + " span(s) rejected; first: " + split.rejectionReason()));
        }
        return spanLog.append(split.byTraceId()).replaceWith(response.build());
    }
}
