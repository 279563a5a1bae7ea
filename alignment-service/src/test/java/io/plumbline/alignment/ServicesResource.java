package io.plumbline.alignment;

import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.process.PackagedService;
import io.plumbline.testing.process.ServiceWiring;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * The services the alignment-service calls, as they ship: the metric-registry and the judge-service in processes of
 * their own (PackagedService), and LLM providers that point at the LLM stand-in's port, for the judge-service and for
 * the alignment-service's reflection calls alike. Provider {@code openai} (the built-in metrics' judge) is one more
 * name for the stand-in. Tests reach the processes through {@link #REGISTRY_PORT} and {@link #JUDGE_PORT}.
 */
public class ServicesResource implements QuarkusTestResourceLifecycleManager {

    public static final String REGISTRY_PORT = "plumbline.test.registry-port";
    public static final String JUDGE_PORT = "plumbline.test.judge-port";

    private PackagedService registry;
    private PackagedService judge;

    @Override
    public Map<String, String> start() {
        Map<String, String> providers = new HashMap<>(new LlmProviderResource().start());
        String patient = "plumbline.llm.providers.patient.";
        providers.keySet().stream().filter(k -> k.startsWith(patient)).toList().forEach(key ->
                providers.put("plumbline.llm.providers.openai." + key.substring(patient.length()), providers.get(key)));
        // The built-ins' judge, and the benchmark's: as many calls at once as the alignment-service sends.
        providers.put("plumbline.llm.providers.openai.max-concurrency", "16");
        registry = PackagedService.start("metric-registry", Map.of());
        Map<String, String> judgeConfig = new HashMap<>(providers);
        judgeConfig.remove(LlmProviderResource.PORT);
        judgeConfig.putAll(ServiceWiring.judgeClients(registry));
        judge = PackagedService.start("judge-service", judgeConfig);

        Map<String, String> config = new HashMap<>(providers);
        config.put("quarkus.grpc.clients.registry.host", "127.0.0.1");
        // In test mode a gRPC client calls its test-port (by default the service's own test port).
        config.put("quarkus.grpc.clients.registry.test-port", String.valueOf(registry.port()));
        config.put("quarkus.grpc.clients.judge.host", "127.0.0.1");
        config.put("quarkus.grpc.clients.judge.test-port", String.valueOf(judge.port()));
        config.put("plumbline.alignment.reflection-model.provider", "patient");
        config.put("plumbline.alignment.reflection-model.model", "reflector");
        config.put(REGISTRY_PORT, String.valueOf(registry.port()));
        config.put(JUDGE_PORT, String.valueOf(judge.port()));
        return config;
    }

    @Override
    public void stop() {
        if (judge != null) {
            judge.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
