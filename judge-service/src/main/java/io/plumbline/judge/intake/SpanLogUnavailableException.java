package io.plumbline.judge.intake;

/** {@code otlp_spans} did not take the spans in time: the exporter should retry. */
public class SpanLogUnavailableException extends RuntimeException {

    public SpanLogUnavailableException(String message) {
        super(message);
    }

    public SpanLogUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
