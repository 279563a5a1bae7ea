package io.plumbline.judge.normalize;

import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.OtlpSpans.span;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.ToolCall;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The content hash is what evaluations are idempotent on: the same content must keep the same hash from one release to
 * the next, or stored judgments would no longer be recognised. Pinned here on a trace record with every kind of field.
 */
class ContentHashTest {

    @Test
    void theHashOfAGivenContentIsPinned() {
        assertEquals(PINNED, ContentHash.of(trace("t1", "a1", 1_000)));
    }

    @Test
    void identityTimesAndCountsDoNotChangeTheHashButContentDoes() {
        RecordSnapshot.Builder trace = trace("t1", "a1", 1_000);
        assertEquals(ContentHash.of(trace), ContentHash.of(trace("t2", "b2", 5_000)));
        assertEquals(ContentHash.of(trace), ContentHash.of(trace("t1", "a1", 1_000).setSpanCount(99).setContentHash("x")));
        assertNotEquals(ContentHash.of(trace), ContentHash.of(trace("t1", "a1", 1_000).setOutput("Porto.")));
        assertNotEquals(ContentHash.of(trace), ContentHash.of(trace("t1", "a1", 1_000).putAttributes("k", "other")));
        assertEquals("t1", trace.getMessages(0).getTraceId(), "the snapshot hashed is left as it was");
    }

    @Test
    void aNormalizedSpanIsSerializedOnceForItsHashAndItsStorage() throws Exception {
        // a chat span with messages that carry tool calls, and a tool span (a tool call with timing): every kind of
        // identity the hash leaves out
        var chat = OpenTelemetryGenAiNormalizationTest.NORMALIZER.normalize(OpenTelemetryGenAiNormalizationTest.RESOURCE,
                OpenTelemetryGenAiNormalizationTest.chatSpan(attr("gen_ai.input.messages",
                                OpenTelemetryGenAiNormalizationTest.INPUT_MESSAGES),
                        attr("gen_ai.output.messages", OpenTelemetryGenAiNormalizationTest.OUTPUT_MESSAGES),
                        attr("gen_ai.system_instructions", OpenTelemetryGenAiNormalizationTest.SYSTEM_INSTRUCTIONS)).build());
        var tool = OpenTelemetryGenAiNormalizationTest.NORMALIZER.normalize(OpenTelemetryGenAiNormalizationTest.RESOURCE,
                span("execute_tool get_weather", attr("gen_ai.operation.name", "execute_tool"),
                        attr("gen_ai.tool.name", "get_weather"), attr("gen_ai.tool.call.id", "call_1"),
                        attr("gen_ai.tool.call.arguments", "{\"location\":\"Paris\"}"),
                        attr("gen_ai.tool.call.result", "rainy, 57°F")).build());
        assertTrue(chat.snapshot().getMessagesList().stream().anyMatch(m -> m.getToolCallsCount() > 0));
        assertTrue(tool.snapshot().getToolCalls(0).hasStartTime());
        for (NormalizedSpan span : List.of(chat, tool)) {
            assertEquals(span.snapshot(), RecordSnapshot.parseFrom(span.snapshotBytes()), "the stored bytes are the snapshot");
            assertEquals(hashAsDefined(span.snapshot().toBuilder()), span.snapshot().getContentHash());
        }
        var trace = trace("t1", "a1", 1_000);
        assertEquals(hashAsDefined(trace), ContentHash.of(trace));
    }

    /** The definition, spelled out: a copy without the identity, serialized deterministically, SHA-256 in hex. */
    private static String hashAsDefined(RecordSnapshot.Builder snapshot) throws Exception {
        RecordSnapshot.Builder content = snapshot.clone().clearRecord().clearStartTime().clearEndTime().clearSpanCount()
                .clearTraceCount().clearContentHash().clearOriginalSizeBytes();
        for (ChatMessage.Builder message : content.getMessagesBuilderList()) {
            message.clearSpanId().clearTraceId();
            message.getToolCallsBuilderList().forEach(call -> call.clearSpanId().clearStartTime().clearDuration());
        }
        content.getToolCallsBuilderList().forEach(call -> call.clearSpanId().clearStartTime().clearDuration());
        var bytes = new java.io.ByteArrayOutputStream();
        var out = com.google.protobuf.CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        content.build().writeTo(out);
        out.flush();
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
    }

    private static RecordSnapshot.Builder trace(String traceId, String spanPrefix, long seconds) {
        ToolCall call = ToolCall.newBuilder().setId("call-1").setName("search_hotels").setArguments("{\"city\":\"Lisbon\"}")
                .setResult("[\"Alfama Patio\"]").setSpanId(spanPrefix + "03").setStartTime(Timestamp.newBuilder()
                        .setSeconds(seconds)).setDuration(Duration.newBuilder().setSeconds(2)).build();
        return RecordSnapshot.newBuilder()
                .setRecord(RecordRef.newBuilder().setProjectId("travel").setLevel(Level.LEVEL_TRACE).setRecordId(traceId)
                        .setTraceId(traceId))
                .setStartTime(Timestamp.newBuilder().setSeconds(seconds)).setEndTime(Timestamp.newBuilder()
                        .setSeconds(seconds + 3))
                .setSpanCount(3).setTraceCount(1).setOriginalSizeBytes(420)
                .setInput("Find a hotel in Lisbon.").setOutput("Alfama Patio, 132 EUR.").setModel("gpt-4o-mini")
                .addMessages(ChatMessage.newBuilder().setRole(MessageRole.MESSAGE_ROLE_USER).setContent("Find a hotel in Lisbon.")
                        .setSpanId(spanPrefix + "01").setTraceId(traceId))
                .addMessages(ChatMessage.newBuilder().setRole(MessageRole.MESSAGE_ROLE_ASSISTANT).addToolCalls(call)
                        .setSpanId(spanPrefix + "02").setTraceId(traceId))
                .addToolCalls(call)
                .putAttributes("gen_ai.operation.name", "invoke_agent").putAttributes("app.locale", "en")
                .putResourceAttributes("service.name", "travel-agent").putResourceAttributes("service.version", "1.4.2");
    }

    private static final String PINNED = "3db9e84103ea50d9084157a7f1180bf83f0d0cf167fe82dcc34945f1e480b728";
}
