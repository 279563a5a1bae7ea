package io.plumbline.local.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

/** The LLM choice at start: the environment's endpoint, else a local Ollama (a local HTTP server here), else the stand-in. */
class LlmSelectionTest {

    HttpServer ollama;
    volatile String tags = "{\"models\":[{\"name\":\"llama3.2:3b\",\"model\":\"llama3.2:3b\"},{\"name\":\"qwen2.5:7b\"}]}";
    final List<String> probed = new CopyOnWriteArrayList<>();
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeEach
    void startOllama() throws IOException {
        ollama = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ollama.createContext("/api/tags", exchange -> {
            probed.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            byte[] body = tags.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        ollama.start();
    }

    @AfterEach
    void stopOllama() {
        ollama.stop(0);
    }

    String ollamaUrl() {
        return "http://127.0.0.1:" + ollama.getAddress().getPort();
    }

    @Test
    void anEndpointInTheEnvironmentWinsOverARunningOllama() {
        LlmSelection selection = LlmSelection.select(Map.of("OPENAI_API_KEY", "sk-live-123", "OPENAI_MODEL", "gpt-4.1-mini",
                "PLUMBLINE_OLLAMA_URL", ollamaUrl()), client);

        assertEquals(LlmSelection.Source.ENVIRONMENT, selection.source());
        assertEquals("openai", selection.provider());
        assertEquals("https://api.openai.com/v1", selection.baseUrl());
        assertEquals("gpt-4.1-mini", selection.judgeModel());
        assertEquals("gpt-4.1-mini", selection.reflectionModel());
        assertTrue(probed.isEmpty(), "Ollama is not even asked: " + probed);
        // The key travels as the environment variable the services read, never as a -D option.
        assertEquals(Map.of("PLUMBLINE_LLM_PROVIDERS_OPENAI_API_KEY", "sk-live-123"), selection.serviceEnvironment());
        assertFalse(selection.serviceProperties(null).toString().contains("sk-live-123"));
        assertEquals("https://api.openai.com/v1", selection.serviceProperties(null).get("plumbline.llm.providers.openai.base-url"));
    }

    @Test
    void aBaseUrlWithoutKeySelectsThatEndpointWithItsModels() {
        LlmSelection selection = LlmSelection.select(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1",
                "PLUMBLINE_JUDGE_MODEL", "qwen-judge", "PLUMBLINE_REFLECTION_MODEL", "qwen-large"), client);

        assertEquals(LlmSelection.Source.ENVIRONMENT, selection.source());
        assertEquals("http://127.0.0.1:8000/v1", selection.baseUrl());
        assertEquals("qwen-judge", selection.judgeModel());
        assertEquals("qwen-large", selection.reflectionModel());
        assertTrue(selection.serviceEnvironment().isEmpty());
        assertEquals(Map.of("plumbline.alignment.reflection-model.provider", "openai",
                "plumbline.alignment.reflection-model.model", "qwen-large"), selection.reflectionProperties());
    }

    @Test
    void withoutAnEndpointARunningOllamaIsUsedWithItsFirstModel() {
        LlmSelection selection = LlmSelection.select(Map.of("PLUMBLINE_OLLAMA_URL", ollamaUrl() + "/"), client);

        assertEquals(LlmSelection.Source.OLLAMA, selection.source());
        assertEquals(List.of("GET /api/tags"), probed);
        assertEquals("ollama", selection.provider());
        assertEquals(ollamaUrl() + "/v1", selection.baseUrl());
        assertEquals("llama3.2:3b", selection.judgeModel());
        assertEquals("llama3.2:3b", selection.reflectionModel());
        Map<String, String> properties = selection.serviceProperties(null);
        assertEquals("openai", properties.get("plumbline.llm.providers.ollama.kind"));
        assertEquals(ollamaUrl() + "/v1", properties.get("plumbline.llm.providers.ollama.base-url"));
    }

    @Test
    void anOllamaWithoutModelsOrNothingListeningFallsBackToTheStandIn() throws IOException {
        tags = "{\"models\":[]}";
        LlmSelection noModels = LlmSelection.select(Map.of("PLUMBLINE_OLLAMA_URL", ollamaUrl()), client);
        assertEquals(LlmSelection.Source.STAND_IN, noModels.source());
        assertEquals(1, probed.size());

        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        LlmSelection nothing = LlmSelection.select(Map.of("PLUMBLINE_OLLAMA_URL", "http://127.0.0.1:" + closed), client);
        assertEquals(LlmSelection.Source.STAND_IN, nothing.source());
    }

    @Test
    void theStandInSaysWhatItIsInItsModelNamesAndExplanation() {
        LlmSelection selection = LlmSelection.select(Map.of("PLUMBLINE_LLM", "stand-in", "OPENAI_API_KEY", "sk-ignored",
                "PLUMBLINE_OLLAMA_URL", ollamaUrl()), client);

        assertTrue(selection.standIn());
        assertTrue(probed.isEmpty());
        assertEquals("stand-in (not a real LLM)", selection.judgeModel());
        assertTrue(selection.reflectionModel().contains("not a real LLM"));
        assertTrue(selection.explanation().contains("NOT A REAL LLM"), selection.explanation());
        Map<String, String> properties = selection.serviceProperties("http://127.0.0.1:41234/v1");
        assertEquals("http://127.0.0.1:41234/v1", properties.get("plumbline.llm.providers.standin.base-url"));
        assertEquals("openai", properties.get("plumbline.llm.providers.standin.kind"));
        assertTrue(selection.serviceEnvironment().isEmpty());
    }
}
