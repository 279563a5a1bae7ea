package io.plumbline.judge.normalize;

import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.OtlpSpans.resource;
import static io.plumbline.judge.OtlpSpans.span;
import static io.plumbline.judge.normalize.OpenTelemetryGenAiNormalizationTest.NORMALIZER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.opentelemetry.proto.resource.v1.Resource;
import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.SourceConvention;

/** OpenLLMetry (Traceloop) spans as its OpenAI and workflow instrumentations write them. */
class OpenLlmetryNormalizationTest {

    static final Resource RESOURCE = resource("service.name", "travel-agent");

    @Test
    void aChatSpanWithIndexedPromptsCompletionsToolCallsAndUsage() {
        RecordSnapshot s = NORMALIZER.normalize(RESOURCE, span("openai.chat",
                attr("llm.request.type", "chat"),
                attr("gen_ai.system", "OpenAI"),
                attr("gen_ai.request.model", "gpt-4o"),
                attr("gen_ai.response.model", "gpt-4o-2024-08-06"),
                attr("gen_ai.prompt.0.role", "system"),
                attr("gen_ai.prompt.0.content", "You book flights."),
                attr("gen_ai.prompt.1.role", "user"),
                attr("gen_ai.prompt.1.content", "[{\"type\": \"text\", \"text\": \"Book me to Lisbon on Friday\"}]"),
                attr("gen_ai.completion.0.role", "assistant"),
                attr("gen_ai.completion.0.finish_reason", "tool_calls"),
                attr("gen_ai.completion.0.tool_calls.0.id", "call_abc"),
                attr("gen_ai.completion.0.tool_calls.0.name", "search_flights"),
                attr("gen_ai.completion.0.tool_calls.0.arguments", "{\"to\": \"LIS\", \"day\": \"friday\"}"),
                attr("gen_ai.usage.prompt_tokens", 150),
                attr("gen_ai.usage.completion_tokens", 30),
                attr("llm.usage.total_tokens", 180),
                attr("traceloop.association.properties.session_id", "chat-991"),
                attr("traceloop.workflow.name", "booking")).build()).snapshot();

        assertEquals(SourceConvention.SOURCE_CONVENTION_OPENLLMETRY, s.getConvention());
        assertEquals("Book me to Lisbon on Friday", s.getInput(), "content given as a JSON list of parts is read as text");
        assertEquals("You book flights.", s.getContext().getSystemInstructions());
        assertEquals(List.of(MessageRole.MESSAGE_ROLE_SYSTEM, MessageRole.MESSAGE_ROLE_USER, MessageRole.MESSAGE_ROLE_ASSISTANT),
                s.getMessagesList().stream().map(ChatMessage::getRole).toList());
        ChatMessage answer = s.getMessages(2);
        assertEquals("tool_calls", answer.getFinishReason());
        assertEquals("search_flights", answer.getToolCalls(0).getName());
        assertEquals("search_flights", s.getToolCalls(0).getName());
        assertEquals("gpt-4o-2024-08-06", s.getModel());
        assertEquals("OpenAI", s.getProvider());
        assertEquals("chat", s.getOperation());
        assertEquals(150, s.getTokenUsage().getInputTokens());
        assertEquals(30, s.getTokenUsage().getOutputTokens());
        assertEquals(180, s.getTokenUsage().getTotalTokens());
        assertEquals("chat-991", s.getSessionId());
        assertEquals("booking", s.getAttributesMap().get("traceloop.workflow.name"));
        assertFalse(s.getAttributesMap().containsKey("gen_ai.prompt.1.content"));
    }

    @Test
    void aWorkflowSpanUsesTheEntityInputAndOutput() {
        RecordSnapshot s = NORMALIZER.normalize(RESOURCE, span("booking.workflow",
                attr("traceloop.span.kind", "workflow"),
                attr("traceloop.entity.name", "booking"),
                attr("traceloop.entity.input", "{\"args\": [\"Book me to Lisbon\"], \"kwargs\": {}}"),
                attr("traceloop.entity.output", "\"Booked TP1234 for Friday.\""),
                attr("traceloop.association.properties.session_id", "chat-991")).build()).snapshot();

        assertEquals(SourceConvention.SOURCE_CONVENTION_OPENLLMETRY, s.getConvention());
        assertEquals("{\"args\": [\"Book me to Lisbon\"], \"kwargs\": {}}", s.getInput());
        assertEquals("\"Booked TP1234 for Friday.\"", s.getOutput());
        assertEquals("workflow", s.getOperation());
        assertEquals("chat-991", s.getSessionId());
    }

    @Test
    void whenASpanCarriesTwoConventionsTheFirstInPrecedenceSuppliesTheContent() {
        RecordSnapshot s = NORMALIZER.normalize(RESOURCE, span("chat",
                attr("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"from GenAI\"}]}]"),
                attr("gen_ai.prompt.0.role", "user"),
                attr("gen_ai.prompt.0.content", "from OpenLLMetry"),
                attr("traceloop.association.properties.session_id", "s-1")).build()).snapshot();

        assertEquals(SourceConvention.SOURCE_CONVENTION_OTEL_GENAI, s.getConvention());
        assertEquals("from GenAI", s.getInput());
        assertEquals("s-1", s.getSessionId(), "metadata still comes from every convention");
        assertFalse(s.getAttributesMap().containsKey("gen_ai.prompt.0.content"), "the other convention's content is left out too");
    }
}
