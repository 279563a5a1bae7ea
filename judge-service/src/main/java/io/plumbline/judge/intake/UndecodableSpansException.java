package io.plumbline.judge.intake;

/** Trace data that cannot be decoded, or that holds spans no one can process (invalid ids); the message says why. */
public class UndecodableSpansException extends RuntimeException {

    public UndecodableSpansException(String message) {
        super(message);
    }

    public UndecodableSpansException(String message, Throwable cause) {
        super(message, cause);
    }
}
