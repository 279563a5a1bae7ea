package io.plumbline.common.llm;

import dev.langchain4j.exception.HttpException;
import java.time.Duration;
import java.util.Optional;

/** A provider's non-2xx answer, with what it said about retrying. */
public class ProviderHttpException extends HttpException {

    private final Duration retryAfter;

    public ProviderHttpException(int statusCode, String body, Duration retryAfter) {
        super(statusCode, body);
        this.retryAfter = retryAfter;
    }

    /** The provider's Retry-After, if it sent one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** 408, 409, 429 and 5xx are worth another try; other 4xx are not. */
    public boolean retryable() {
        int status = statusCode();
        return status == 408 || status == 409 || status == 429 || status >= 500;
    }
}
