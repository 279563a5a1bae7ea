package io.plumbline.common.llm;

import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * LangChain4j's HTTP transport on the Vert.x HTTP client, keeping what LangChain4j's own transport drops: the
 * {@code Retry-After} of a refused request ({@link ProviderHttpException}). Its callers block ({@link LlmGateway} runs
 * them on virtual threads, which park while the service's event loops do the I/O): a thousand calls in flight are a
 * thousand pooled connections and no thread of their own. The JDK client it replaced spent about a sixth more CPU
 * per call, in its selector and worker threads (judge-service's {@code LlmCallBenchmark}). TLS is verified against the
 * JVM's trusted certificates, host name included, or against the provider's own {@code trust-certificates}. Streaming
 * is not used by Plumbline and not supported.
 */
final class ProviderHttpClient implements HttpClient {

    private final Vertx vertx;
    private final io.vertx.core.http.HttpClient client;
    private final Duration connectTimeout;
    private final Duration readTimeout;

    private ProviderHttpClient(Vertx vertx, int maxConnections, Optional<String> trustCertificates, Duration connectTimeout,
            Duration readTimeout) {
        this.connectTimeout = connectTimeout == null ? Duration.ofSeconds(10) : connectTimeout;
        HttpClientOptions options = new HttpClientOptions()
                .setName("llm-provider")
                .setMaxPoolSize(Math.max(1, maxConnections))
                .setConnectTimeout((int) this.connectTimeout.toMillis())
                .setVerifyHost(true);
        trustCertificates.ifPresent(pem -> options.setTrustOptions(new PemTrustOptions().addCertPath(pem)));
        this.vertx = vertx;
        this.client = vertx.createHttpClient(options);
        this.readTimeout = readTimeout == null ? Duration.ofSeconds(60) : readTimeout;
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) {
        RequestOptions options = new RequestOptions().setAbsoluteURI(request.url())
                .setMethod(HttpMethod.valueOf(request.method().name()))
                // a connection of the pool, or a new one, within the connect timeout
                .setConnectTimeout(connectTimeout.toMillis())
                // answers are not streamed: nothing for this long is no answer in time
                .setIdleTimeout(readTimeout.toMillis());
        request.headers().forEach((name, values) -> values.forEach(value -> options.addHeader(name, value)));
        CompletableFuture<Answer> answered = new CompletableFuture<>();
        // The whole exchange runs on one event loop: a handler set from the calling thread could come after the
        // response it waits for had ended, and that response would be lost.
        vertx.getOrCreateContext().runOnContext(ignored -> client.request(options)
                .compose(sent -> request.body() == null ? sent.send() : sent.send(request.body()))
                .compose(response -> response.body().map(body -> new Answer(response.statusCode(),
                        response.headers(), body.toString(StandardCharsets.UTF_8))))
                .onComplete(result -> {
                    if (result.succeeded()) {
                        answered.complete(result.result());
                    } else {
                        answered.completeExceptionally(result.cause());
                    }
                }));
        Answer answer;
        try {
            // the timeouts above end every exchange; this bound is only the last guard of the caller's thread
            answer = answered.get(connectTimeout.plus(readTimeout).plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ProviderTimeoutException("no answer within " + readTimeout, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw new ProviderTimeoutException("no answer within " + readTimeout, e.getCause());
            }
            throw new ProviderHttpException(503, "connection failed: " + describe(e.getCause()), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the provider", e);
        }
        if (answer.status() >= 200 && answer.status() < 300) {
            return SuccessfulHttpResponse.builder().statusCode(answer.status()).headers(asMap(answer.headers()))
                    .body(answer.body()).build();
        }
        String retryAfter = answer.headers().get("retry-after");
        throw new ProviderHttpException(answer.status(), answer.body(), retryAfter == null ? null : retryAfter(retryAfter));
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        throw new UnsupportedOperationException("streaming is not used by Plumbline");
    }

    private record Answer(int status, MultiMap headers, String body) {
    }

    private static Map<String, List<String>> asMap(MultiMap headers) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        headers.names().forEach(name -> map.put(name, headers.getAll(name)));
        return map;
    }

    /** The failure and its cause: a TLS refusal says why ("unable to find valid certification path..."). */
    private static String describe(Throwable failure) {
        String text = String.valueOf(failure);
        Throwable cause = failure == null ? null : failure.getCause();
        return cause == null || cause == failure ? text : text + " (" + cause + ")";
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

    /** LangChain4j builds its transport through this; one client (and connection pool) per provider. */
    static final class Builder implements HttpClientBuilder {
        private final Vertx vertx;
        private final int maxConnections;
        private final Optional<String> trustCertificates;
        private Duration connectTimeout;
        private Duration readTimeout;

        Builder(Vertx vertx, int maxConnections, Optional<String> trustCertificates) {
            this.vertx = vertx;
            this.maxConnections = maxConnections;
            this.trustCertificates = trustCertificates;
        }

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
            return new ProviderHttpClient(vertx, maxConnections, trustCertificates, connectTimeout, readTimeout);
        }
    }

    /** The provider did not answer in time. */
    static final class ProviderTimeoutException extends RuntimeException {
        ProviderTimeoutException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
