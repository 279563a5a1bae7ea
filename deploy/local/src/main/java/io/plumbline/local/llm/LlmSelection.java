package io.plumbline.local.llm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Which LLM the local stack's services judge and reflect with, chosen once at start: an OpenAI-compatible endpoint or
 * key in the environment, else a local Ollama answering on its default port, else the LLM stand-in (rules, not a
 * model) in the stack's JVM. The choice becomes one provider of {@code plumbline.llm.providers.<name>.*} in the
 * judge-service and the alignment-service, and the model the demo's metrics and alignment runs name.
 *
 * <p>Environment: {@code OPENAI_API_KEY}, {@code OPENAI_BASE_URL} (either selects the endpoint),
 * {@code PLUMBLINE_JUDGE_MODEL} (else {@code OPENAI_MODEL}, else gpt-4o-mini) and {@code PLUMBLINE_REFLECTION_MODEL}
 * (else gpt-4o; for Ollama both default to its first listed model), {@code PLUMBLINE_OLLAMA_URL} (default
 * http://127.0.0.1:11434), {@code PLUMBLINE_LLM=stand-in} to skip both probes.
 */
public record LlmSelection(Source source, String provider, String baseUrl, Optional<String> apiKey, String judgeModel,
        String reflectionModel, String explanation) {

    /** Where the model comes from. */
    public enum Source { ENVIRONMENT, OLLAMA, STAND_IN }

    /** The provider name of the stand-in: its model names say what it is in every stored evaluation. */
    public static final String STAND_IN_PROVIDER = "standin";
    public static final String STAND_IN_JUDGE_MODEL = "stand-in (not a real LLM)";
    public static final String STAND_IN_REFLECTION_MODEL = "stand-in reflection (not a real LLM)";
    public static final String DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The selection for this environment. {@code probe} asks Ollama for its models; it is only called when the
     * environment names no endpoint.
     */
    public static LlmSelection select(Map<String, String> env, HttpClient probe) {
        if ("stand-in".equalsIgnoreCase(value(env, "PLUMBLINE_LLM"))) {
            return standIn("PLUMBLINE_LLM=stand-in");
        }
        String key = value(env, "OPENAI_API_KEY");
        String baseUrl = value(env, "OPENAI_BASE_URL");
        if (key != null || baseUrl != null) {
            String judge = firstNonNull(value(env, "PLUMBLINE_JUDGE_MODEL"), value(env, "OPENAI_MODEL"), "gpt-4o-mini");
            String reflection = firstNonNull(value(env, "PLUMBLINE_REFLECTION_MODEL"), value(env, "OPENAI_MODEL"), "gpt-4o");
            String endpoint = baseUrl != null ? baseUrl : "https://api.openai.com/v1";
            return new LlmSelection(Source.ENVIRONMENT, "openai", endpoint, Optional.ofNullable(key), judge, reflection,
                    "OpenAI-compatible endpoint " + endpoint + " from the environment ("
                            + (key != null ? "OPENAI_API_KEY" : "no key") + "), judge model " + judge
                            + ", reflection model " + reflection);
        }
        String ollama = stripSlash(firstNonNull(value(env, "PLUMBLINE_OLLAMA_URL"), DEFAULT_OLLAMA_URL, null));
        Optional<String> ollamaModel = ollamaModel(probe, ollama);
        if (ollamaModel.isPresent()) {
            String judge = firstNonNull(value(env, "PLUMBLINE_JUDGE_MODEL"), ollamaModel.get(), null);
            String reflection = firstNonNull(value(env, "PLUMBLINE_REFLECTION_MODEL"), judge, null);
            return new LlmSelection(Source.OLLAMA, "ollama", ollama + "/v1", Optional.empty(), judge, reflection,
                    "local Ollama at " + ollama + " (OpenAI-compatible /v1), judge model " + judge
                            + ", reflection model " + reflection);
        }
        return standIn("no OPENAI_API_KEY / OPENAI_BASE_URL and no Ollama with a model at " + ollama);
    }

    private static LlmSelection standIn(String why) {
        return new LlmSelection(Source.STAND_IN, STAND_IN_PROVIDER, null, Optional.empty(), STAND_IN_JUDGE_MODEL,
                STAND_IN_REFLECTION_MODEL, "the LLM STAND-IN, NOT A REAL LLM (" + why + "): it answers by rules, "
                + "so its judgments are scripted, not judgments; every evaluation's model reads \"" + STAND_IN_JUDGE_MODEL
                + "\"");
    }

    /** The first model Ollama lists at {@code baseUrl/api/tags}, if it answers at all. */
    static Optional<String> ollamaModel(HttpClient probe, String baseUrl) {
        try {
            HttpResponse<String> response = probe.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/tags"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return Optional.empty();
            }
            JsonNode models = JSON.readTree(response.body()).path("models");
            for (JsonNode model : models) {
                String name = model.path("name").asText(model.path("model").asText(""));
                if (!name.isBlank()) {
                    return Optional.of(name);
                }
            }
            return Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty(); // nothing answers, or not Ollama
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Whether the stand-in must run in the stack's JVM. */
    public boolean standIn() {
        return source == Source.STAND_IN;
    }

    /**
     * The provider's settings for a service, as system properties: the map key of {@code plumbline.llm.providers} is
     * only known to the configuration from a property name, so these travel as {@code -D} options. The key does not:
     * see {@link #serviceEnvironment()}.
     */
    public Map<String, String> serviceProperties(String standInBaseUrl) {
        Map<String, String> properties = new LinkedHashMap<>();
        String prefix = "plumbline.llm.providers." + provider + ".";
        properties.put(prefix + "kind", "openai");
        properties.put(prefix + "base-url", standIn() ? standInBaseUrl : baseUrl);
        if (source != Source.ENVIRONMENT) {
            properties.put(prefix + "timeout", source == Source.OLLAMA ? "300s" : "30s");
            properties.put(prefix + "max-concurrency", source == Source.OLLAMA ? "2" : "16");
        }
        return properties;
    }

    /** The API key as the environment variable the services read it from (never on a command line). */
    public Map<String, String> serviceEnvironment() {
        return apiKey.map(k -> Map.of("PLUMBLINE_LLM_PROVIDERS_" + provider.toUpperCase(Locale.ROOT)
                + "_API_KEY", k)).orElse(Map.of());
    }

    /** The alignment-service's default reflection model. */
    public Map<String, String> reflectionProperties() {
        return Map.of("plumbline.alignment.reflection-model.provider", provider,
                "plumbline.alignment.reflection-model.model", reflectionModel);
    }

    private static String value(Map<String, String> env, String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static String firstNonNull(String a, String b, String c) {
        return a != null ? a : b != null ? b : c;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
