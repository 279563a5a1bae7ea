package io.plumbline.common.llm;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * LLM providers by name: {@code plumbline.llm.providers.<name>.*}. A metric's or a run's model names its provider by
 * this name. The API key comes from the environment ({@code PLUMBLINE_LLM_PROVIDERS_<NAME>_API_KEY}, for example from a
 * Kubernetes secret) and is never logged.
 */
@ConfigMapping(prefix = "plumbline.llm")
public interface LlmConfig {

    /** The providers, by name. */
    Map<String, Provider> providers();

    /** The wire protocol a provider speaks. */
    enum Kind {
        /** OpenAI chat completions: OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM and other compatible servers. */
        OPENAI,
        /** Anthropic Messages. */
        ANTHROPIC
    }

    interface Provider {

        /** The protocol. */
        Kind kind();

        /** The endpoint; unset means the vendor's public one. */
        Optional<String> baseUrl();

        /** The API key; unset for servers without one (a local Ollama or vLLM). */
        Optional<String> apiKey();

        /**
         * A PEM file of the certificates to trust for this provider's TLS instead of the JVM's (a server behind a private
         * certificate authority); unset means the JVM's trusted certificates.
         */
        Optional<String> trustCertificates();

        /** How long one request may take. */
        @WithDefault("60s")
        Duration timeout();

        /** Requests in flight at once; more wait. */
        @WithDefault("16")
        int maxConcurrency();

        /** Requests per minute; 0 means no limit. */
        @WithDefault("0")
        int requestsPerMinute();

        /** Tokens (prompt and completion) per minute; 0 means no limit. */
        @WithDefault("0")
        long tokensPerMinute();

        /** Retries after a 429, a 5xx or a timeout, before the call fails. */
        @WithDefault("5")
        int maxRetries();

        /** First backoff; it doubles per retry (with jitter) up to {@link #maxBackoff()}; a Retry-After wins when longer. */
        @WithDefault("500ms")
        Duration initialBackoff();

        @WithDefault("30s")
        Duration maxBackoff();

        /** The circuit opens when this fraction of the last {@link #circuitRequestVolume()} calls failed. */
        @WithDefault("0.5")
        double circuitFailureRatio();

        @WithDefault("20")
        int circuitRequestVolume();

        /** How long an open circuit refuses calls before it lets a trial through. */
        @WithDefault("30s")
        Duration circuitDelay();
    }
}
