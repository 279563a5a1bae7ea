package io.plumbline.judge.normalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.ToolCall;
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
