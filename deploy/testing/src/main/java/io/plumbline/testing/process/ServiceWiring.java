package io.plumbline.testing.process;

import java.util.HashMap;
import java.util.Map;

/**
 * The configuration that connects packaged services to each other, written once for every test that starts them
 * (module tests, the console's, the end-to-end test): gRPC clients pointed at a running service, and the
 * alignment-service's clients of the registry and the judge-service with the stand-in's reflection model.
 */
public final class ServiceWiring {

    /** The reflection model the tests script on the LLM stand-in: provider {@code patient}, model {@code reflector}. */
    public static final String REFLECTION_PROVIDER = "patient";
    public static final String REFLECTION_MODEL = "reflector";

    private ServiceWiring() {
    }

    /**
     * Quarkus gRPC client {@code client} aimed at {@code service}. Under test, Quarkus' clients dial their
     * {@code test-port}: both are set, so the same map serves a packaged service and a {@code @QuarkusTest}.
     */
    public static Map<String, String> grpcClient(String client, PackagedService service) {
        String prefix = "quarkus.grpc.clients." + client + ".";
        return Map.of(prefix + "host", "127.0.0.1", prefix + "port", String.valueOf(service.port()),
                prefix + "test-port", String.valueOf(service.port()));
    }

    /** What a judge-service needs besides its LLM providers: the registry, whose published versions it loads at start. */
    public static Map<String, String> judgeClients(PackagedService registry) {
        return grpcClient("registry", registry);
    }

    /** What an alignment-service needs besides its LLM providers: the registry, the judge-service, a reflection model. */
    public static Map<String, String> alignmentClients(PackagedService registry, PackagedService judge) {
        Map<String, String> config = new HashMap<>();
        config.putAll(grpcClient("registry", registry));
        config.putAll(grpcClient("judge", judge));
        config.put("plumbline.alignment.reflection-model.provider", REFLECTION_PROVIDER);
        config.put("plumbline.alignment.reflection-model.model", REFLECTION_MODEL);
        return config;
    }

    /**
     * OpenAI-compatible providers named {@code names}, all pointing at one LLM stand-in ({@code baseUrl}), with short
     * backoffs so that scripted faults resolve quickly.
     */
    public static Map<String, String> standInProviders(String baseUrl, String... names) {
        Map<String, String> config = new HashMap<>();
        for (String name : names) {
            String prefix = "plumbline.llm.providers." + name + ".";
            config.put(prefix + "kind", "openai");
            config.put(prefix + "base-url", baseUrl);
            config.put(prefix + "api-key", "sk-test-key");
            config.put(prefix + "initial-backoff", "50ms");
            config.put(prefix + "max-backoff", "200ms");
        }
        return config;
    }
}
