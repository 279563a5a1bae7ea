package io.plumbline.common.llm;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;

/**
 * The one way Plumbline calls LLMs. Per provider: bounded concurrency (callers wait), requests- and tokens-per-minute
 * allowances (callers wait), a timeout per request, retries with exponential backoff and jitter that honour
 * {@code Retry-After} on 429, 5xx and timeouts, and a circuit breaker (SmallRye Fault Tolerance) that stops calling a
 * provider that keeps failing. A call that still fails ends in {@link LlmCallFailed}, which says whether trying again
 * later can help, so callers delay their work instead of losing it.
 *
 * <p>LangChain4j's clients block: calls run on virtual threads, on purpose, so that a thousand waiting calls cost a
 * thousand parked virtual threads and no event-loop thread.
 */
@ApplicationScoped
public class LlmGateway {

    private static final Logger LOG = Logger.getLogger(LlmGateway.class);

    private final LlmConfig config;
    private final MeterRegistry meters;
    private final Map<String, Provider> providers = new ConcurrentHashMap<>();
    private final ExecutorService virtualThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final io.vertx.core.Vertx vertx;

    LlmGateway(LlmConfig config, MeterRegistry meters, io.vertx.core.Vertx vertx) {
        this.config = config;
        this.meters = meters;
        this.vertx = vertx;
    }

    /** Calls the model; fails with {@link LlmCallFailed} after the provider's retries, or at once for a bad call. */
    public Uni<LlmAnswer> chat(LlmCall call) {
        return Uni.createFrom().deferred(() -> {
            Provider provider = provider(call.provider());
            Uni<LlmAnswer> answer = Uni.createFrom().item(() -> provider.call(call)).runSubscriptionOn(virtualThreads);
            // Back on the caller's Vert.x context (when there is one), where reactive sessions and clients must run.
            io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
            return caller == null ? answer : answer.emitOn(task -> caller.runOnContext(ignored -> task.run()));
        });
    }

    /** The providers configured, by name. */
    public java.util.Set<String> providerNames() {
        return config.providers().keySet();
    }

    private Provider provider(String name) {
        LlmConfig.Provider settings = config.providers().get(name);
        if (settings == null) {
            throw new LlmCallFailed("no LLM provider named \"" + name + "\" is configured (plumbline.llm.providers."
                    + name + ".kind); configured: " + config.providers().keySet(), false);
        }
        return providers.computeIfAbsent(name, n -> new Provider(n, settings));
    }

    /** A provider's client and its limits. */
    private final class Provider {
        private final String name;
        private final LlmConfig.Provider settings;
        private final ChatModel model;
        private final Semaphore concurrency;
        private final TokenBucket requests;
        private final TokenBucket tokens;
        private final Guard breaker;
        private final Timer latency;
        private final AtomicInteger circuitOpen = new AtomicInteger();

        Provider(String name, LlmConfig.Provider settings) {
            this.name = name;
            this.settings = settings;
            this.model = model(settings);
            this.concurrency = new Semaphore(settings.maxConcurrency(), true);
            this.requests = settings.requestsPerMinute() > 0 ? new TokenBucket(settings.requestsPerMinute()) : null;
            this.tokens = settings.tokensPerMinute() > 0 ? new TokenBucket(settings.tokensPerMinute()) : null;
            this.breaker = Guard.create()
                    .withDescription("llm provider " + name)
                    .withCircuitBreaker()
                    .name("llm-" + name)
                    .requestVolumeThreshold(settings.circuitRequestVolume())
                    .failureRatio(settings.circuitFailureRatio())
                    .delay(settings.circuitDelay().toMillis(), ChronoUnit.MILLIS)
                    .when(LlmGateway::countsAgainstProvider)
                    .onStateChange(state -> {
                        circuitOpen.set(state == CircuitBreakerState.OPEN ? 1 : 0);
                        LOG.warnf("LLM provider %s: circuit %s", name, state);
                    })
                    .done()
                    .build();
            this.latency = Timer.builder("plumbline.llm.latency").tag("provider", name)
                    .publishPercentileHistogram().register(meters);
            meters.gauge("plumbline.llm.circuit.open", List.of(io.micrometer.core.instrument.Tag.of("provider", name)),
                    circuitOpen);
        }

        LlmAnswer call(LlmCall call) {
            long start = System.nanoTime();
            ChatRequest request = request(call);
            for (int attempt = 1; ; attempt++) {
                try {
                    ChatResponse response = once(request, call.estimatedTokens());
                    Duration took = Duration.ofNanos(System.nanoTime() - start);
                    latency.record(took);
                    long in = response.tokenUsage() == null || response.tokenUsage().inputTokenCount() == null ? 0
                            : response.tokenUsage().inputTokenCount();
                    long out = response.tokenUsage() == null || response.tokenUsage().outputTokenCount() == null ? 0
                            : response.tokenUsage().outputTokenCount();
                    if (tokens != null) {
                        tokens.adjust(in + out - call.estimatedTokens());
                    }
                    meters.counter("plumbline.llm.tokens", "provider", name, "direction", "input").increment(in);
                    meters.counter("plumbline.llm.tokens", "provider", name, "direction", "output").increment(out);
                    meters.counter("plumbline.llm.calls", "provider", name, "outcome", "ok").increment();
                    String answeredBy = response.metadata() != null && response.metadata().modelName() != null
                            ? response.metadata().modelName() : call.model();
                    return new LlmAnswer(response.aiMessage().text(), answeredBy, in, out, took, attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LlmCallFailed("interrupted while calling " + name, true);
                } catch (RuntimeException e) {
                    Failure failure = Failure.of(e);
                    if (!failure.retryable() || attempt > settings.maxRetries()) {
                        meters.counter("plumbline.llm.calls", "provider", name, "outcome", "failed").increment();
                        throw new LlmCallFailed("LLM provider " + name + " failed after " + attempt + " attempt(s): "
                                + failure.description(), failure.retryable());
                    }
                    meters.counter("plumbline.llm.retries", "provider", name, "reason", failure.reason()).increment();
                    sleep(backoff(attempt, failure));
                }
            }
        }

        private ChatResponse once(ChatRequest request, long estimatedTokens) throws InterruptedException {
            if (requests != null) {
                requests.take(1);
            }
            if (tokens != null) {
                tokens.take(estimatedTokens);
            }
            concurrency.acquire();
            try {
                return breaker.call(() -> model.chat(request), ChatResponse.class);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                concurrency.release();
            }
        }

        private Duration backoff(int attempt, Failure failure) {
            long base = Math.min(settings.maxBackoff().toMillis(), settings.initialBackoff().toMillis() << Math.min(attempt - 1, 20));
            long jittered = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
            Duration backoff = Duration.ofMillis(jittered);
            return failure.retryAfter() != null && failure.retryAfter().compareTo(backoff) > 0 ? failure.retryAfter() : backoff;
        }

        private ProviderHttpClient.Builder transport(LlmConfig.Provider settings) {
            return new ProviderHttpClient.Builder(vertx, settings.maxConcurrency(), settings.trustCertificates());
        }

        private ChatModel model(LlmConfig.Provider settings) {
            return switch (settings.kind()) {
                case OPENAI -> {
                    var builder = OpenAiChatModel.builder().httpClientBuilder(transport(settings))
                            .apiKey(settings.apiKey().orElse("none")).timeout(settings.timeout()).maxRetries(0)
                            .logRequests(false).logResponses(false);
                    settings.baseUrl().ifPresent(builder::baseUrl);
                    yield builder.build();
                }
                case ANTHROPIC -> {
                    var builder = AnthropicChatModel.builder().httpClientBuilder(transport(settings))
                            .apiKey(settings.apiKey().orElse("none")).timeout(settings.timeout()).maxRetries(0)
                            .logRequests(false).logResponses(false);
                    settings.baseUrl().ifPresent(builder::baseUrl);
                    yield builder.build();
                }
            };
        }
    }

    private static ChatRequest request(LlmCall call) {
        List<ChatMessage> messages = new ArrayList<>();
        if (call.system() != null && !call.system().isBlank()) {
            messages.add(SystemMessage.from(call.system()));
        }
        messages.add(UserMessage.from(call.user()));
        var request = ChatRequest.builder().messages(messages).modelName(call.model());
        if (call.temperature() != null) {
            request.temperature(call.temperature());
        }
        if (call.maxOutputTokens() != null) {
            request.maxOutputTokens(call.maxOutputTokens());
        }
        if (call.responseSchema() != null) {
            request.responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON)
                    .jsonSchema(JsonSchema.builder().name("answer").rootElement(call.responseSchema()).build()).build());
        }
        return request.build();
    }

    /** A provider's failure counts against its circuit; a refused request of ours (400) does not. */
    private static boolean countsAgainstProvider(Throwable t) {
        return Failure.of(t).retryable();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlmCallFailed("interrupted while backing off", true);
        }
    }

    /** What went wrong with one attempt, read from the exception chain LangChain4j hands back. */
    private record Failure(boolean retryable, String reason, Duration retryAfter, String description) {
        static Failure of(Throwable failure) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (t instanceof ProviderHttpException http) {
                    String reason = http.statusCode() == 429 ? "rate_limited" : "http_" + http.statusCode();
                    return new Failure(http.retryable(), reason, http.retryAfter().orElse(null),
                            "HTTP " + http.statusCode() + " " + abbreviate(http.getMessage()));
                }
                if (t instanceof ProviderHttpClient.ProviderTimeoutException timeout) {
                    return new Failure(true, "timeout", null, timeout.getMessage());
                }
                if (t instanceof CircuitBreakerOpenException) {
                    return new Failure(true, "circuit_open", null, "the provider's circuit is open after repeated failures");
                }
            }
            return new Failure(false, "error", null, abbreviate(String.valueOf(failure)));
        }
    }

    private static String abbreviate(String text) {
        return text == null ? "" : text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }
}
