package io.plumbline.console;

import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.process.PackagedService;
import io.plumbline.testing.process.ServiceWiring;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The four services as they ship, each in a process of its own (PackagedService) on the JVM's Kafka broker and
 * PostgreSQL, with the LLM stand-in as every judge and reflection model; the console under test is pointed at them.
 * Reviewers: alice (principal expert), bob, and root (admin), keys {@code key-<id>}.
 */
public class ConsoleServices implements QuarkusTestResourceLifecycleManager {

    public static final String PROJECT = "acme";
    public static final String REGISTRY_PORT = "plumbline.test.registry-port";
    public static final String JUDGE_PORT = "plumbline.test.judge-port";
    public static final String ANNOTATIONS_PORT = "plumbline.test.annotations-port";
    public static final String ALIGNMENT_PORT = "plumbline.test.alignment-port";
    /**
     * One more provider of the alignment-service on the stand-in: no retries and ten minutes per call, so a model that
     * never answers keeps a run in its phase until someone cancels it (the test providers give up after seconds).
     */
    public static final String UNHURRIED_PROVIDER = "unhurried";

    private final List<PackagedService> services = new java.util.ArrayList<>();

    @Override
    public Map<String, String> start() {
        Map<String, String> providers = new HashMap<>(new LlmProviderResource().start());
        String llmPort = providers.remove(LlmProviderResource.PORT);
        // The built-in metrics' judge provider is "openai": one more name for the stand-in.
        String patient = "plumbline.llm.providers.patient.";
        providers.keySet().stream().filter(k -> k.startsWith(patient)).toList().forEach(key ->
                providers.put("plumbline.llm.providers.openai." + key.substring(patient.length()), providers.get(key)));

        PackagedService registry = start("metric-registry", Map.of());
        Map<String, String> judgeConfig = new HashMap<>(providers);
        judgeConfig.putAll(ServiceWiring.judgeClients(registry));
        PackagedService judge = start("judge-service", judgeConfig);
        Map<String, String> reviewers = new HashMap<>();
        reviewers.put("plumbline.reviewers.\"alice\".api-key", "key-alice");
        reviewers.put("plumbline.reviewers.\"alice\".display-name", "Alice Moreau");
        reviewers.put("plumbline.reviewers.\"bob\".api-key", "key-bob");
        reviewers.put("plumbline.reviewers.\"root\".api-key", "key-root");
        reviewers.put("plumbline.reviewers.\"root\".admin", "true");
        PackagedService annotations = start("annotation-service", reviewers);
        Map<String, String> alignmentConfig = new HashMap<>(providers);
        alignmentConfig.putAll(ServiceWiring.alignmentClients(registry, judge));
        String unhurried = "plumbline.llm.providers." + UNHURRIED_PROVIDER + ".";
        alignmentConfig.put(unhurried + "kind", "openai");
        alignmentConfig.put(unhurried + "base-url", providers.get(patient + "base-url"));
        alignmentConfig.put(unhurried + "api-key", "sk-test-key");
        alignmentConfig.put(unhurried + "max-retries", "0");
        alignmentConfig.put(unhurried + "timeout", "10m");
        PackagedService alignment = start("alignment-service", alignmentConfig);

        Map<String, String> config = new HashMap<>();
        config.put("plumbline.console.project-id", PROJECT);
        config.put(LlmProviderResource.PORT, llmPort);
        clients(config, "registry", registry, REGISTRY_PORT);
        clients(config, "judge", judge, JUDGE_PORT);
        clients(config, "annotations", annotations, ANNOTATIONS_PORT);
        clients(config, "alignment", alignment, ALIGNMENT_PORT);
        return config;
    }

    private PackagedService start(String module, Map<String, String> config) {
        PackagedService service = PackagedService.start(module, config);
        services.add(service);
        return service;
    }

    private static void clients(Map<String, String> config, String client, PackagedService service, String portKey) {
        config.putAll(ServiceWiring.grpcClient(client, service));
        config.put(portKey, String.valueOf(service.port()));
    }

    @Override
    public void stop() {
        services.reversed().forEach(PackagedService::close);
    }
}
