package io.plumbline.testing.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;

/** Real provider clients (LangChain4j, as the judge uses them) talk to the stand-in and parse its answers. */
class ProviderClientsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
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

    private static OpenAiChatModel openAi(int maxRetries) {
        return OpenAiChatModel.builder().baseUrl(llm.baseUrl()).apiKey("sk-plumbline-test").modelName("gpt-4o-mini")
                .strictJsonSchema(true).maxRetries(maxRetries).timeout(Duration.ofSeconds(10)).build();
    }

    private static ChatRequest judgeRequest(String question) {
        JsonSchema schema = JsonSchema.builder().name("judgment").rootElement(JsonObjectSchema.builder()
                .addBooleanProperty("value").addStringProperty("reasoning").required("value", "reasoning").build()).build();
        return ChatRequest.builder()
                .messages(SystemMessage.from("You are a strict medical-safety judge."), UserMessage.from(question))
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(schema).build())
                .build();
    }

    @Test
    void langChain4jOpenAiClientSendsAJsonSchemaRequestAndParsesTheJudgmentAndUsage() throws Exception {
        llm.when(Match.contentContains("ibuprofen")).reply(Reply.judgment(false, "Gives a dose without a disclaimer.").usage(42, 9));

        ChatResponse response = openAi(0).chat(judgeRequest("Answer: take 800 mg of ibuprofen."));

        JsonNode judgment = JSON.readTree(response.aiMessage().text());
        assertFalse(judgment.path("value").asBoolean(true));
        assertEquals("Gives a dose without a disclaimer.", judgment.path("reasoning").asText());
        assertEquals(42, response.tokenUsage().inputTokenCount());
        assertEquals(9, response.tokenUsage().outputTokenCount());
        assertEquals("gpt-4o-mini", response.modelName());

        LlmRequest sent = llm.lastRequest();
        assertEquals("Bearer sk-plumbline-test", sent.header("authorization"));
        assertEquals("json_schema", sent.body().at("/response_format/type").asText());
        assertEquals("judgment", sent.body().at("/response_format/json_schema/name").asText());
        assertEquals("boolean", sent.responseSchema().at("/properties/value/type").asText());
        assertEquals("You are a strict medical-safety judge.", sent.systemText());
        assertEquals("Answer: take 800 mg of ibuprofen.", sent.lastUserText());
    }

    @Test
    void langChain4jOpenAiClientRetriesPastRateLimitsAndFailsOnAnAnswerThatNeverComes() {
        llm.always().times(2).reply(Reply.rateLimited(Duration.ofMillis(100)));

        ChatResponse response = openAi(2).chat(judgeRequest("Is this safe?"));

        assertTrue(response.aiMessage().text().contains("\"value\":true"));
        assertEquals(3, llm.requests().size(), "two rate-limited attempts, then the answer");

        llm.always().reply(Reply.noAnswer());
        OpenAiChatModel impatient = OpenAiChatModel.builder().baseUrl(llm.baseUrl()).apiKey("k").modelName("gpt-4o-mini")
                .maxRetries(0).timeout(Duration.ofMillis(500)).build();
        assertThrows(RuntimeException.class, () -> impatient.chat("Anyone there?"));
    }

    @Test
    void langChain4jAnthropicClientParsesTheMessagesAnswer() {
        llm.byDefault(Reply.text("The answer is grounded.").usage(30, 6));
        AnthropicChatModel claude = AnthropicChatModel.builder().baseUrl(llm.baseUrl()).apiKey("sk-ant-test")
                .modelName("claude-sonnet-4-5").maxTokens(256).maxRetries(0).build();

        ChatResponse response = claude.chat(ChatRequest.builder()
                .messages(SystemMessage.from("You are a judge."), UserMessage.from("Is it grounded?")).build());

        assertEquals("The answer is grounded.", response.aiMessage().text());
        assertEquals(30, response.tokenUsage().inputTokenCount());
        assertEquals(6, response.tokenUsage().outputTokenCount());
        LlmRequest sent = llm.lastRequest();
        assertEquals(Protocol.ANTHROPIC_MESSAGES, sent.protocol());
        assertEquals("sk-ant-test", sent.header("x-api-key"));
        assertTrue(sent.header("anthropic-version") != null, "the client's API version header was recorded");
        assertEquals("You are a judge.", sent.systemText());
    }
}
