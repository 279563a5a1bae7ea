package io.plumbline.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.common.llm.LlmAnswer;
import io.plumbline.common.llm.LlmCall;
import io.plumbline.common.llm.LlmCallFailed;
import io.plumbline.common.llm.LlmGateway;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import io.plumbline.testing.llm.Latency;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The LLM gateway of {@code common} as this service uses it (reflection calls), against the LLM stand-in, which speaks
 * the providers' real HTTP protocols. Providers come from {@link LlmProviderResource}.
 */
@QuarkusTest
class LlmGatewayTest {

    static final JsonObjectSchema JUDGMENT = JsonObjectSchema.builder()
            .addBooleanProperty("value").addStringProperty("reasoning").required("value", "reasoning").build();

    @Inject
    LlmGateway gateway;

    @Inject
    MeterRegistry meters;

    LlmStandIn llm;

    @BeforeEach
    void start() {
        llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
        llm.byDefault(Reply.judgment(true, "The answer cites the policy.").usage(120, 30));
    }

    @AfterEach
    void stop() {
        llm.close();
    }

    @Test
    void aStructuredCallReachesTheProviderAndItsAnswerAndUsageComeBack() {
        LlmAnswer answer = gateway.chat(call("patient", "Judge this answer.")).await().atMost(Duration.ofSeconds(10));

        assertTrue(answer.text().contains("\"value\":true"), answer.text());
        assertEquals(120, answer.inputTokens());
        assertEquals(30, answer.outputTokens());
        assertEquals(1, answer.attempts());
        var sent = llm.lastRequest();
        assertEquals("gpt-4o-mini", sent.model());
        assertTrue(sent.responseSchema() != null, "structured output was asked for: " + sent.rawBody());
        assertEquals("You are a judge.", sent.systemText());
        assertEquals("Bearer sk-test-key", sent.header("authorization"));
    }

    @Test
    void anthropicProvidersSpeakTheMessagesProtocol() {
        LlmAnswer answer = gateway.chat(new LlmCall("claude", "claude-sonnet", "You are a judge.", "Judge this.", 0.0,
                256, null)).await().atMost(Duration.ofSeconds(10));
        assertFalse(answer.text().isEmpty());
        assertEquals("/v1/messages", llm.lastRequest().path());
    }

    @Test
    void rateLimitsAreRetriedNoSoonerThanRetryAfter() {
        llm.always().times(2).reply(Reply.rateLimited(Duration.ofMillis(700)));
        double retriesBefore = rateLimitRetries();
        LlmAnswer answer = gateway.chat(call("patient", "Judge.")).await().atMost(Duration.ofSeconds(20));
        assertEquals(3, answer.attempts());
        assertTrue(answer.latency().compareTo(Duration.ofMillis(1400)) >= 0, "waited " + answer.latency());
        assertEquals(2.0, rateLimitRetries() - retriesBefore);
    }

    @Test
    void serverErrorsBeyondTheRetriesFailAsTransientAndARefusedRequestIsNotRetried() {
        llm.always().times(3).reply(Reply.serverError());
        var failed = assertThrows(LlmCallFailed.class, () -> gateway.chat(call("strict", "Judge.")).await().indefinitely());
        assertTrue(failed.isTransient());
        assertEquals(3, llm.requests().size(), "1 attempt and 2 retries");

        llm.reset();
        llm.always().reply(Reply.status(400));
        var refused = assertThrows(LlmCallFailed.class, () -> gateway.chat(call("strict", "Judge.")).await().indefinitely());
        assertFalse(refused.isTransient());
        assertEquals(1, llm.requests().size(), "a 400 is not retried");
    }

    @Test
    void aProviderThatDoesNotAnswerTimesOutAndIsRetried() {
        llm.always().times(1).reply(Reply.noAnswer());
        LlmAnswer answer = gateway.chat(call("strict", "Judge.")).await().atMost(Duration.ofSeconds(20));
        assertEquals(2, answer.attempts());
    }

    @Test
    void concurrencyIsBoundedPerProvider() {
        llm.latency(Latency.fixed(Duration.ofMillis(200)));
        List<io.smallrye.mutiny.Uni<LlmAnswer>> calls = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            calls.add(gateway.chat(call("strict", "Judge " + i)));
        }
        io.smallrye.mutiny.Uni.join().all(calls).andFailFast().await().atMost(Duration.ofSeconds(30));
        assertEquals(12, llm.requests().size());
        assertTrue(llm.maxInFlight() <= 3, "at most 3 in flight, saw " + llm.maxInFlight());
    }

    @Test
    void anOpenCircuitStopsCallingAFailingProvider() {
        llm.always().reply(Reply.serverError());
        for (int i = 0; i < 4; i++) {
            assertThrows(LlmCallFailed.class, () -> gateway.chat(call("fragile", "Judge.")).await().indefinitely());
        }
        int before = llm.requests().size();
        var refused = assertThrows(LlmCallFailed.class, () -> gateway.chat(call("fragile", "Judge.")).await().indefinitely());
        assertTrue(refused.getMessage().contains("circuit"), refused.getMessage());
        assertEquals(before, llm.requests().size(), "an open circuit sends nothing");
    }

    @Test
    void anUnknownProviderIsNamedWithTheConfiguredOnes() {
        var e = assertThrows(LlmCallFailed.class, () -> gateway.chat(call("mistral", "Judge.")).await().indefinitely());
        assertTrue(e.getMessage().contains("\"mistral\"") && e.getMessage().contains("patient"), e.getMessage());
        assertFalse(e.isTransient());
    }

    private static LlmCall call(String provider, String prompt) {
        return new LlmCall(provider, "gpt-4o-mini", "You are a judge.", prompt, 0.0, 256, JUDGMENT);
    }

    private double rateLimitRetries() {
        var counter = meters.find("plumbline.llm.retries").tag("provider", "patient").tag("reason", "rate_limited").counter();
        return counter == null ? 0 : counter.count();
    }
}
