package io.plumbline.common.llm;

import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * LangChain4j's HTTP transport, on the JDK client, keeping what LangChain4j's own transport drops: the
 * {@code Retry-After} of a refused request ({@link ProviderHttpException}). Blocking; {@link LlmGateway} runs it on
 * virtual threads. Streaming is not used by Plumbline and not supported.
 */
final class ProviderHttpClient implements HttpClient {

    private final java.net.http.HttpClient client;
    private final Duration readTimeout;

    private ProviderHttpClient(Duration connectTimeout, Duration readTimeout) {
        this.client = java.net.http.HttpClient.newBuilder()
                .connectTimeout(connectTimeout == null ? Duration.ofSeconds(10) : connectTimeout)
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build();
        this.readTimeout = readTimeout == null ? Duration.ofSeconds(60) : readTimeout;
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) {
        var builder = java.net.http.HttpRequest.newBuilder(URI.create(request.url())).timeout(readTimeout);
        request.headers().forEach((name, values) -> values.forEach(value -> builder.header(name, value)));
        builder.method(request.method().name(), request.body() == null
                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                : java.net.http.HttpRequest.BodyPublishers.ofString(request.body()));
        HttpResponse<String> response;
        try {
            response = client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new ProviderTimeoutException("no answer within " + readTimeout, e);
        } catch (IOException e) {
            throw new ProviderHttpException(503, "connection failed: " + e.getMessage(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the provider", e);
        }
        if (response.statusCode() >= 200 && response.statusCode() < 300) {
            return SuccessfulHttpResponse.builder().statusCode(response.statusCode())
                    .headers(response.headers().map()).body(response.body()).build();
        }
        throw new ProviderHttpException(response.statusCode(), response.body(),
                response.headers().firstValue("retry-after").map(ProviderHttpClient::retryAfter).orElse(null));
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        throw new UnsupportedOperationException("streaming is not used by Plumbline");
    }

    /** Retry-After in seconds or as an HTTP date; null when it is neither. */
    static Duration retryAfter(String value) {
        try {
            return Duration.ofMillis((long) (Double.parseDouble(value.trim()) * 1000));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration untilThen = Duration.between(ZonedDateTime.now(),
                        ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME));
                return untilThen.isNegative() ? Duration.ZERO : untilThen;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    /** LangChain4j builds its transport through this. */
    static final class Builder implements HttpClientBuilder {
        private Duration connectTimeout;
        private Duration readTimeout;

        @Override
        public Duration connectTimeout() {
            return connectTimeout;
        }

        @Override
        public HttpClientBuilder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        @Override
        public Duration readTimeout() {
            return readTimeout;
        }

        @Override
        public HttpClientBuilder readTimeout(Duration timeout) {
            this.readTimeout = timeout;
            return this;
        }

        @Override
        public HttpClient build() {
            return new ProviderHttpClient(connectTimeout, readTimeout);
        }
    }

    /** The provider did not answer in time. */
    static final class ProviderTimeoutException extends RuntimeException {
        ProviderTimeoutException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
