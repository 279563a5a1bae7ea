package io.plumbline.common.llm;

/** A model call that failed for good, after the provider's retries. */
public class LlmCallFailed extends RuntimeException {

    private final boolean transientFailure;

    public LlmCallFailed(String message, boolean transientFailure) {
        super(message);
        this.transientFailure = transientFailure;
    }

    /** True when the provider was unavailable (rate limited, down, circuit open): trying later can succeed. */
    public boolean isTransient() {
        return transientFailure;
    }
}
