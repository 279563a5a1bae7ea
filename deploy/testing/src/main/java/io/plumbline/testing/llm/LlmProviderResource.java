package io.plumbline.testing.llm;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/**
 * Points the LLM providers of the service under test at a free port of 127.0.0.1, where the tests start the LLM
 * stand-in: {@code LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class))}
 * (test code and test resources live in different class loaders, so the port, not the server, is what they share). Providers: {@code patient} (OpenAI protocol, 5 retries), {@code strict}
 * (2 retries, short timeout), {@code fragile} (no retries, circuit after 4 calls), {@code claude} (Anthropic protocol).
 */
public class LlmProviderResource implements QuarkusTestResourceLifecycleManager {

    public static final String PORT = "plumbline.test.llm-port";

    @Override
    public Map<String, String> start() {
        int port = freePort();
        String baseUrl = "http://127.0.0.1:" + port + "/v1";
        Map<String, String> config = new HashMap<>();
        config.put(PORT, Integer.toString(port));
        provider(config, "patient", "openai", baseUrl, 5, "10s", 8);
        provider(config, "strict", "openai", baseUrl, 2, "700ms", 3);
        provider(config, "fragile", "openai", baseUrl, 0, "10s", 8);
        provider(config, "claude", "anthropic", baseUrl, 2, "10s", 8);
        config.put("plumbline.llm.providers.fragile.circuit-request-volume", "4");
        return config;
    }

    private static void provider(Map<String, String> config, String name, String kind, String baseUrl, int retries,
            String timeout, int concurrency) {
        String prefix = "plumbline.llm.providers." + name + ".";
        config.put(prefix + "kind", kind);
        config.put(prefix + "base-url", baseUrl);
        config.put(prefix + "api-key", "sk-test-key");
        config.put(prefix + "max-retries", Integer.toString(retries));
        config.put(prefix + "timeout", timeout);
        config.put(prefix + "max-concurrency", Integer.toString(concurrency));
        config.put(prefix + "initial-backoff", "50ms");
        config.put(prefix + "max-backoff", "200ms");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    @Override
    public void stop() {
    }
}
