package io.plumbline.console;

import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import org.eclipse.microprofile.config.ConfigProvider;

/** The LLM stand-in on the port every service's providers point at, started once for the test JVM. */
final class StandIn {

    private static LlmStandIn instance;

    private StandIn() {
    }

    static synchronized LlmStandIn get() {
        if (instance == null) {
            instance = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
        }
        return instance;
    }
}
