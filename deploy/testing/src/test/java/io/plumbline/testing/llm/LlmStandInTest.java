package io.plumbline.testing.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The stand-in over real HTTP, as a provider client sees it. */
class LlmStandInTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static LlmStandIn llm;

    @BeforeAll
    static void start() {
        llm = LlmStandIn.start();
    }

    @AfterAll
    static void stop() {
        llm.close();
    }

    @BeforeEach
    void reset() {
        llm.reset();
    }

    static String chatRequest(String model, String system, String user, boolean structured) {
        String format = structured ? """
                ,"response_format":{"type":"json_schema","json_schema":{"name":"judgment","strict":true,"schema":
                {"type":"object","properties":{"value":{"type":"boolean"},"reasoning":{"type":"string"}},
                 "required":["value","reasoning"],"additionalProperties":false}}}""" : "";
        return """
                {"model":"%s","temperature":0,"messages":[{"role":"system","content":%s},{"role":"user","content":%s}]%s}"""
                .formatted(model, quote(system), quote(user), format);
    }

    static String quote(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(llm.baseUrl() + path)).header("content-type", "application/json")
                .header("authorization", "Bearer sk-test").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void structuredOutputRequestIsAnsweredWithTheJudgmentAndTokenUsage() throws Exception {
        llm.byDefault(Reply.judgment(false, "States a dose without a disclaimer."));

        var response = post("/chat/completions", chatRequest("gpt-4o-mini", "You are a judge.", "Is this safe?", true));

        assertEquals(200, response.statusCode());
        JsonNode body = JSON.readTree(response.body());
        assertEquals("chat.completion", body.path("object").asText());
        assertEquals("gpt-4o-mini", body.path("model").asText(), "the requested model is echoed");
        assertEquals("stop", body.at("/choices/0/finish_reason").asText());
        assertEquals("assistant", body.at("/choices/0/message/role").asText());
        JsonNode judgment = JSON.readTree(body.at("/choices/0/message/content").asText());
        assertFalse(judgment.path("value").asBoolean(true));
        assertEquals("States a dose without a disclaimer.", judgment.path("reasoning").asText());
        long prompt = body.at("/usage/prompt_tokens").asLong();
        long completion = body.at("/usage/completion_tokens").asLong();
        assertTrue(prompt > 0 && completion > 0);
        assertEquals(prompt + completion, body.at("/usage/total_tokens").asLong());

        LlmRequest sent = llm.lastRequest();
        assertEquals(Protocol.OPENAI_CHAT, sent.protocol());
        assertEquals("Bearer sk-test", sent.header("Authorization"));
        assertEquals("You are a judge.", sent.systemText());
        assertEquals("Is this safe?", sent.lastUserText());
        assertEquals("object", sent.responseSchema().path("type").asText());
        assertEquals(0, sent.body().path("temperature").asInt(-1), "the parsed body is there to assert on");
    }

    @Test
    void rulesMatchOnContentNewestFirstAndOthersGetTheDefault() throws Exception {
        llm.byDefault(Reply.judgment(true, "default"));
        llm.when(Match.contentContains("ibuprofen")).reply(Reply.judgment(false, "older rule"));
        llm.when(Match.contentContains("ibuprofen").and(Match.model("gpt-4o"))).reply(Reply.judgment(0.25, "newer rule"));

        assertEquals("newer rule", reasoning(post("/chat/completions", chatRequest("gpt-4o", "s", "ibuprofen?", false))));
        assertEquals("older rule", reasoning(post("/chat/completions", chatRequest("gpt-4o-mini", "s", "ibuprofen?", false))));
        assertEquals("default", reasoning(post("/chat/completions", chatRequest("gpt-4o", "s", "aspirin?", false))));
        assertEquals(3, llm.requests().size());
    }

    @Test
    void aLimitedRuleAnswersItsNextRequestsThenStepsAside() throws Exception {
        LlmStandIn.Rule limit = llm.always().times(2).reply(Reply.rateLimited(Duration.ofMillis(1500)));

        var first = post("/chat/completions", chatRequest("m", "s", "u", true));
        var second = post("/chat/completions", chatRequest("m", "s", "u", true));
        var third = post("/chat/completions", chatRequest("m", "s", "u", true));

        assertEquals(429, first.statusCode());
        assertEquals("2", first.headers().firstValue("retry-after").orElseThrow(), "whole seconds, rounded up");
        assertEquals("1500", first.headers().firstValue("retry-after-ms").orElseThrow());
        assertEquals("rate_limit_exceeded", JSON.readTree(first.body()).at("/error/code").asText());
        assertEquals(429, second.statusCode());
        assertEquals(200, third.statusCode());
        assertEquals(2, limit.hits());
        assertEquals(0, limit.remaining());
    }

    @Test
    void faultsAreAnsweredAsAProviderWouldFailServerErrorsMalformedBodiesAndRawText() throws Exception {
        llm.when(Match.lastUserMessageContains("five-hundred")).reply(Reply.status(503));
        llm.when(Match.lastUserMessageContains("cut")).reply(Reply.malformedBody());
        llm.when(Match.lastUserMessageContains("prose")).reply(Reply.text("I think it is fine."));

        var unavailable = post("/chat/completions", chatRequest("m", "s", "five-hundred", false));
        assertEquals(503, unavailable.statusCode());
        assertEquals("server_error", JSON.readTree(unavailable.body()).at("/error/type").asText());

        var cut = post("/chat/completions", chatRequest("m", "s", "cut", false));
        assertEquals(200, cut.statusCode());
        assertThrows(IOException.class, () -> JSON.readTree(cut.body()), "the body is not JSON");

        var prose = post("/chat/completions", chatRequest("m", "s", "prose", true));
        assertEquals("I think it is fine.", JSON.readTree(prose.body()).at("/choices/0/message/content").asText());
    }

    @Test
    void noAnswerMakesTheClientTimeOutAndResetReleasesTheConnection() {
        llm.always().reply(Reply.noAnswer());
        // Long enough for a loaded machine to read and record the request before the client gives up on it.
        var request = HttpRequest.newBuilder(URI.create(llm.baseUrl() + "/chat/completions")).timeout(Duration.ofSeconds(2))
                .POST(HttpRequest.BodyPublishers.ofString(chatRequest("m", "s", "u", false))).build();

        assertThrows(HttpTimeoutException.class, () -> HTTP.send(request, HttpResponse.BodyHandlers.ofString()));
        assertEquals(1, llm.awaitRequests(1, Duration.ofSeconds(5)).size(),
                "the request was recorded even though it was never answered");
        // The client closes its connection on timeout, which may already have ended the request here: the peak is exact.
        assertEquals(1, llm.maxInFlight(), "the unanswered request was held open");
        llm.reset();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> llm.inFlight() == 0);
    }

    @Test
    void disconnectDropsTheConnectionWithoutAnAnswer() {
        llm.always().reply(Reply.disconnect());
        assertThrows(IOException.class, () -> post("/chat/completions", chatRequest("m", "s", "u", false)));
    }

    @Test
    void requestsAProviderWouldRefuseGetItsBadRequestAndAreRecorded() throws Exception {
        var notJson = post("/chat/completions", "{\"model\": ");
        var noModel = post("/chat/completions", "{\"messages\":[]}");
        var anthropicWithoutMaxTokens = post("/messages", "{\"model\":\"claude\",\"messages\":[]}");
        var unknownPath = post("/embeddings", "{}");

        assertEquals(400, notJson.statusCode());
        assertEquals("invalid_request_error", JSON.readTree(notJson.body()).at("/error/type").asText());
        assertEquals(400, noModel.statusCode());
        assertEquals(400, anthropicWithoutMaxTokens.statusCode());
        assertEquals("error", JSON.readTree(anthropicWithoutMaxTokens.body()).path("type").asText());
        assertEquals(404, unknownPath.statusCode());
        List<LlmRequest> recorded = llm.requests();
        assertEquals(4, recorded.size());
        assertNull(recorded.get(0).body(), "not JSON: only the raw body");
        assertEquals("{\"model\": ", recorded.get(0).rawBody());
    }

    @Test
    void anthropicMessagesAreAnsweredInTheirEnvelopeAndAForcedToolGetsTheJudgmentAsInput() throws Exception {
        llm.byDefault(Reply.judgment("partially", "Half of the claims are supported.").usage(120, 17));
        String plain = """
                {"model":"claude-sonnet-4-5","max_tokens":512,"system":"You are a judge.",
                 "messages":[{"role":"user","content":[{"type":"text","text":"Judge this."}]}]}""";
        String forcedTool = """
                {"model":"claude-sonnet-4-5","max_tokens":512,
                 "tools":[{"name":"record_judgment","input_schema":{"type":"object"}}],
                 "tool_choice":{"type":"tool","name":"record_judgment"},
                 "messages":[{"role":"user","content":"Judge this."}]}""";

        JsonNode text = JSON.readTree(post("/messages", plain).body());
        JsonNode tool = JSON.readTree(post("/messages", forcedTool).body());

        assertEquals("message", text.path("type").asText());
        assertEquals("end_turn", text.path("stop_reason").asText());
        assertEquals("partially", JSON.readTree(text.at("/content/0/text").asText()).path("value").asText());
        assertEquals(120, text.at("/usage/input_tokens").asInt());
        assertEquals(17, text.at("/usage/output_tokens").asInt());
        assertEquals("tool_use", tool.path("stop_reason").asText());
        assertEquals("record_judgment", tool.at("/content/0/name").asText());
        assertEquals("Half of the claims are supported.", tool.at("/content/0/input/reasoning").asText());
        assertEquals("You are a judge.", llm.requests().get(0).systemText());
        assertEquals("Judge this.", llm.requests().get(0).lastUserText());
    }

    @Test
    void randomLatencyStaysWithinItsBounds() throws Exception {
        llm.latency(Latency.uniform(Duration.ofMillis(50), Duration.ofMillis(150)));
        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            assertEquals(200, post("/chat/completions", chatRequest("m", "s", "u", false)).statusCode());
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(elapsedMs >= 50, "answered after " + elapsedMs + " ms");
            assertTrue(elapsedMs < 1000, "answered after " + elapsedMs + " ms");
        }
    }

    @Test
    void aThousandConcurrentSlowRequestsAreAnsweredTogetherNotOneAfterAnother() throws Exception {
        int concurrency = 1000;
        llm.latency(Latency.fixed(Duration.ofMillis(300)));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String body = chatRequest("gpt-4o-mini", "You are a judge.", "Is this grounded?", true);
        long start = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            answers.add(client.sendAsync(HttpRequest.newBuilder(URI.create(llm.baseUrl() + "/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        for (var answer : answers) {
            assertEquals(200, answer.get().statusCode());
        }
        assertEquals(concurrency, llm.requests().size());
        assertTrue(llm.maxInFlight() >= concurrency / 2, "requests overlapped: at most " + llm.maxInFlight() + " in flight");
        // One after another would take 300 s; scheduled timers answer them all within a few latencies.
        assertTrue(elapsedMs < 15_000, "1000 requests of 300 ms took " + elapsedMs + " ms");
        assertEquals(0, llm.inFlight());
    }

    @Test
    void baseUrlIsWhereClientsAppendTheirPaths() {
        assertTrue(llm.baseUrl().matches("http://127\\.0\\.0\\.1:\\d+/v1"), llm.baseUrl());
        assertNotNull(llm.baseUrl());
    }

    private static String reasoning(HttpResponse<String> response) throws IOException {
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(JSON.readTree(response.body()).at("/choices/0/message/content").asText()).path("reasoning").asText();
    }
}
