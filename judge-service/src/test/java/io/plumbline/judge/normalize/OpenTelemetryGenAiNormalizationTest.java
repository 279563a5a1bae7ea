package io.plumbline.judge.normalize;

import static io.plumbline.judge.OtlpSpans.array;
import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.OtlpSpans.map;
import static io.plumbline.judge.OtlpSpans.resource;
import static io.plumbline.judge.OtlpSpans.span;
import static io.plumbline.judge.OtlpSpans.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.SourceConvention;
import io.plumbline.proto.judge.v1.ToolCall;

/** OpenTelemetry GenAI semantic conventions, in every form instrumentations write them. */
class OpenTelemetryGenAiNormalizationTest {

    static final SpanNormalizer NORMALIZER = new SpanNormalizer(32768, "plumbline.project", "default");
    static final Resource RESOURCE = resource("service.name", "support-bot", "plumbline.project", "acme");

    static final String INPUT_MESSAGES = """
            [{"role":"user","parts":[{"type":"text","content":"What's the weather in Paris?"}]},
             {"role":"assistant","parts":[{"type":"tool_call","id":"call_VSPygqKTWdrhaFErNvMV18Yl","name":"get_weather","arguments":{"location":"Paris"}}]},
             {"role":"tool","parts":[{"type":"tool_call_response","id":"call_VSPygqKTWdrhaFErNvMV18Yl","response":"rainy, 57°F"}]}]""";
    static final String OUTPUT_MESSAGES = """
            [{"role":"assistant","parts":[{"type":"text","content":"It is rainy in Paris, 57°F. Take an umbrella."}],"finish_reason":"stop"}]""";
    static final String SYSTEM_INSTRUCTIONS = """
            [{"type":"text","content":"You are a helpful travel assistant."}]""";

    static Span.Builder chatSpan(KeyValue input, KeyValue output, KeyValue system) {
        return span("chat gpt-4o-mini",
                attr("gen_ai.operation.name", "chat"),
                attr("gen_ai.provider.name", "openai"),
                attr("gen_ai.request.model", "gpt-4o-mini"),
                attr("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
                attr("gen_ai.response.id", "chatcmpl-CJ1"),
                attr("gen_ai.usage.input_tokens", 97),
                attr("gen_ai.usage.output_tokens", 52),
                attr("gen_ai.conversation.id", "conv_5j66UpCpwteGg4YSxUnt7lPY"),
                attr("gen_ai.request.temperature", 0.2),
                input, output, system);
    }

    @Test
    void aRetrievalSpansQueryAndDocumentsBecomeInputAndContextAsJsonOrStructured() {
        String documents = """
                [{"id":"kb-12","score":0.91,"content":"Refunds are accepted within 30 days.","metadata":{"source":"policy.md"}},
                 {"id":"kb-40","score":0.47,"content":"Shipping takes 3 to 5 days.","title":"Shipping"}]""";
        RecordSnapshot fromJson = NORMALIZER.normalize(RESOURCE, span("retrieval policies",
                attr("gen_ai.operation.name", "retrieval"), attr("gen_ai.data_source.id", "policies"),
                attr("gen_ai.retrieval.query.text", "Can I return shoes after three weeks?"),
                attr("gen_ai.retrieval.documents", documents)).build()).snapshot();
        RecordSnapshot structured = NORMALIZER.normalize(RESOURCE, span("retrieval policies",
                attr("gen_ai.operation.name", "retrieval"), attr("gen_ai.data_source.id", "policies"),
                attr("gen_ai.retrieval.query.text", "Can I return shoes after three weeks?"),
                attr("gen_ai.retrieval.documents", array(
                        map("id", str("kb-12"), "score", AnyValue.newBuilder().setDoubleValue(0.91).build(),
                                "content", str("Refunds are accepted within 30 days."),
                                "metadata", map("source", str("policy.md"))),
                        map("id", str("kb-40"), "score", AnyValue.newBuilder().setDoubleValue(0.47).build(),
                                "content", str("Shipping takes 3 to 5 days."), "title", str("Shipping"))))).build())
                .snapshot();

        for (RecordSnapshot s : List.of(fromJson, structured)) {
            assertEquals(SourceConvention.SOURCE_CONVENTION_OTEL_GENAI, s.getConvention());
            assertEquals("Can I return shoes after three weeks?", s.getInput());
            assertEquals(2, s.getContext().getDocumentsCount(), s.toString());
            var first = s.getContext().getDocuments(0);
            assertEquals("kb-12", first.getId());
            assertEquals("Refunds are accepted within 30 days.", first.getContent());
            assertEquals(0.91, first.getScore(), 1e-9);
            assertEquals("policy.md", first.getMetadataOrThrow("source"));
            assertEquals("Shipping", s.getContext().getDocuments(1).getMetadataOrThrow("title"));
            assertFalse(s.getAttributesMap().containsKey("gen_ai.retrieval.documents"), "content leaves the attributes");
            assertEquals("policies", s.getAttributesOrThrow("gen_ai.data_source.id"));
        }
        assertEquals(fromJson.getContentHash(), structured.getContentHash());
    }

    @Test
    void messagesAsJsonStringsBecomeInputOutputConversationAndSystemInstructions() {
        RecordSnapshot s = NORMALIZER.normalize(RESOURCE, chatSpan(attr("gen_ai.input.messages", INPUT_MESSAGES),
                attr("gen_ai.output.messages", OUTPUT_MESSAGES), attr("gen_ai.system_instructions", SYSTEM_INSTRUCTIONS))
                .build()).snapshot();

        assertEquals(SourceConvention.SOURCE_CONVENTION_OTEL_GENAI, s.getConvention());
        assertEquals("What's the weather in Paris?", s.getInput());
        assertEquals("It is rainy in Paris, 57°F. Take an umbrella.", s.getOutput());
        assertEquals("You are a helpful travel assistant.", s.getContext().getSystemInstructions());
        assertEquals(List.of(MessageRole.MESSAGE_ROLE_USER, MessageRole.MESSAGE_ROLE_ASSISTANT, MessageRole.MESSAGE_ROLE_TOOL,
                MessageRole.MESSAGE_ROLE_ASSISTANT), s.getMessagesList().stream().map(ChatMessage::getRole).toList());
        ChatMessage call = s.getMessages(1);
        assertEquals("get_weather", call.getToolCalls(0).getName());
        assertEquals("{\"location\":\"Paris\"}", call.getToolCalls(0).getArguments());
        assertEquals("call_VSPygqKTWdrhaFErNvMV18Yl", s.getMessages(2).getToolCallId());
        assertEquals("rainy, 57°F", s.getMessages(2).getContent());
        assertTrue(s.getMessages(3).getIsOutput());
        assertEquals("stop", s.getMessages(3).getFinishReason());
        assertEquals("gpt-4o-mini-2024-07-18", s.getModel(), "the response model wins over the requested one");
        assertEquals(List.of("gpt-4o-mini-2024-07-18"), s.getModelsUsedList());
        assertEquals("openai", s.getProvider());
        assertEquals("chat", s.getOperation());
        assertEquals(97, s.getTokenUsage().getInputTokens());
        assertEquals(52, s.getTokenUsage().getOutputTokens());
        assertEquals(149, s.getTokenUsage().getTotalTokens(), "input + output when no total is traced");
        assertEquals("conv_5j66UpCpwteGg4YSxUnt7lPY", s.getSessionId());
        assertEquals("conv_5j66UpCpwteGg4YSxUnt7lPY", s.getRecord().getSessionId());
        assertEquals("acme", s.getRecord().getProjectId());
        assertEquals(Level.LEVEL_SPAN, s.getRecord().getLevel());
        assertEquals(s.getRecord().getTraceId() + "/" + s.getRecord().getSpanId(), s.getRecord().getRecordId());
        assertFalse(s.getAttributesMap().containsKey("gen_ai.input.messages"), "content is not repeated in the attributes");
        assertFalse(s.getAttributesMap().containsKey("gen_ai.system_instructions"));
        assertEquals("gpt-4o-mini", s.getAttributesMap().get("gen_ai.request.model"), "metadata stays for bindings");
        assertEquals("0.2", s.getAttributesMap().get("gen_ai.request.temperature"));
        assertEquals("support-bot", s.getResourceAttributesMap().get("service.name"));
        assertEquals(1, s.getSpanCount());
        assertEquals(64, s.getContentHash().length());
    }

    @Test
    void structuredMessageValuesGiveTheSameRecordAsTheirJsonStrings() {
        var input = array(
                map("role", "user", "parts", array(map("type", "text", "content", "What's the weather in Paris?"))),
                map("role", "assistant", "parts", array(map("type", "tool_call", "id", "call_VSPygqKTWdrhaFErNvMV18Yl",
                        "name", "get_weather", "arguments", map("location", "Paris")))),
                map("role", "tool", "parts", array(map("type", "tool_call_response", "id", "call_VSPygqKTWdrhaFErNvMV18Yl",
                        "response", "rainy, 57°F"))));
        var output = array(map("role", "assistant", "parts", array(map("type", "text", "content",
                "It is rainy in Paris, 57°F. Take an umbrella.")), "finish_reason", "stop"));
        var system = array(map("type", "text", "content", "You are a helpful travel assistant."));

        RecordSnapshot structured = NORMALIZER.normalize(RESOURCE, chatSpan(attr("gen_ai.input.messages", input),
                attr("gen_ai.output.messages", output), attr("gen_ai.system_instructions", system)).build()).snapshot();
        RecordSnapshot json = NORMALIZER.normalize(RESOURCE, chatSpan(attr("gen_ai.input.messages", INPUT_MESSAGES),
                attr("gen_ai.output.messages", OUTPUT_MESSAGES), attr("gen_ai.system_instructions", SYSTEM_INSTRUCTIONS))
                .build()).snapshot();

        assertEquals("What's the weather in Paris?", structured.getInput());
        assertEquals("It is rainy in Paris, 57°F. Take an umbrella.", structured.getOutput());
        assertEquals("You are a helpful travel assistant.", structured.getContext().getSystemInstructions());
        assertEquals(json.getMessagesList().stream().map(m -> m.toBuilder().clearSpanId().clearTraceId().build()).toList(),
                structured.getMessagesList().stream().map(m -> m.toBuilder().clearSpanId().clearTraceId().build()).toList());
        assertEquals(json.getContentHash(), structured.getContentHash(), "equal content, equal hash, across spans");
    }

    @Test
    void deprecatedPromptAndCompletionAreReadFromSpanEventsAndAttributes() {
        Span.Builder eventForm = span("chat gpt-3.5-turbo", attr("gen_ai.system", "openai"),
                attr("gen_ai.request.model", "gpt-3.5-turbo"), attr("gen_ai.usage.prompt_tokens", 21),
                attr("gen_ai.usage.completion_tokens", 8))
                .addEvents(Span.Event.newBuilder().setName("gen_ai.content.prompt").addAttributes(attr("gen_ai.prompt",
                        "[{\"role\": \"system\", \"content\": \"Answer briefly.\"}, {\"role\": \"user\", \"content\": \"Capital of France?\"}]")))
                .addEvents(Span.Event.newBuilder().setName("gen_ai.content.completion").addAttributes(attr("gen_ai.completion",
                        "[{\"role\": \"assistant\", \"content\": \"Paris.\"}]")));
        Span.Builder plainText = span("completion", attr("gen_ai.system", "openai"),
                attr("gen_ai.prompt", "Translate to German: good morning"), attr("gen_ai.completion", "Guten Morgen"));

        RecordSnapshot events = NORMALIZER.normalize(RESOURCE, eventForm.build()).snapshot();
        RecordSnapshot text = NORMALIZER.normalize(RESOURCE, plainText.build()).snapshot();

        assertEquals(SourceConvention.SOURCE_CONVENTION_OTEL_GENAI, events.getConvention());
        assertEquals("Capital of France?", events.getInput());
        assertEquals("Paris.", events.getOutput());
        assertEquals("Answer briefly.", events.getContext().getSystemInstructions());
        assertEquals(3, events.getMessagesCount());
        assertEquals(21, events.getTokenUsage().getInputTokens());
        assertEquals(8, events.getTokenUsage().getOutputTokens());
        assertEquals("gpt-3.5-turbo", events.getModel());
        assertEquals("Translate to German: good morning", text.getInput());
        assertEquals("Guten Morgen", text.getOutput());
        assertEquals(0, text.getMessagesCount());
        assertFalse(text.getAttributesMap().containsKey("gen_ai.prompt"));
    }

    @Test
    void aToolExecutionSpanBecomesAToolCallWithItsTimingAndError() {
        Span.Builder tool = span("execute_tool get_weather", attr("gen_ai.operation.name", "execute_tool"),
                attr("gen_ai.tool.name", "get_weather"), attr("gen_ai.tool.call.id", "call_VSPy"),
                attr("gen_ai.tool.call.arguments", "{\"location\":\"Paris\"}"), attr("gen_ai.tool.call.result", "timeout"))
                .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("weather API timed out"));

        RecordSnapshot s = NORMALIZER.normalize(RESOURCE, tool.build()).snapshot();

        assertEquals(1, s.getToolCallsCount());
        ToolCall call = s.getToolCalls(0);
        assertEquals("get_weather", call.getName());
        assertEquals("call_VSPy", call.getId());
        assertEquals("{\"location\":\"Paris\"}", call.getArguments());
        assertEquals("timeout", call.getResult());
        assertTrue(call.getError());
        assertEquals(1, call.getDuration().getSeconds());
        assertEquals(200_000_000, call.getDuration().getNanos());
        assertEquals("{\"location\":\"Paris\"}", s.getInput(), "a tool span's input is its arguments");
        assertEquals("timeout", s.getOutput());
        assertTrue(s.getError());
        assertEquals("weather API timed out", s.getErrorMessage());
        assertEquals("execute_tool", s.getOperation());
    }
}
