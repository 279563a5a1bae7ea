package io.plumbline.judge.assembly;

import com.google.protobuf.Timestamp;
import io.plumbline.judge.normalize.ContentHash;
import io.plumbline.judge.normalize.ContentHash.HashedSnapshot;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.SourceConvention;
import io.plumbline.proto.judge.v1.ToolCall;
import io.plumbline.proto.judge.v1.TokenUsage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds a trace or session record from the span records of its spans (in start order): the (first) root span gives the
 * name, operation, attributes and input (else the first span's that has one); output is the (last) root span's, else
 * the last LLM call's; messages are every call's messages in time order without repeats (a conversation's history comes
 * again in each later call); tool calls, documents and token usage are gathered. A record larger than the configured
 * size loses messages and tool calls from its middle, replaced by a marker message.
 */
final class RecordAssembler {

    static final String MARKER = "[truncated]";

    private RecordAssembler() {
    }

    /** A span as stored for assembly. */
    record StoredSpan(String traceId, boolean root, RecordSnapshot snapshot) {
    }

    static HashedSnapshot trace(String projectId, String traceId, List<StoredSpan> spans, int maxBytes) {
        var snapshot = assemble(spans);
        snapshot.setRecord(RecordRef.newBuilder().setProjectId(projectId).setLevel(Level.LEVEL_TRACE)
                .setRecordId(traceId).setTraceId(traceId).setSessionId(snapshot.getSessionId()));
        return finish(snapshot, maxBytes);
    }

    static HashedSnapshot session(String projectId, String sessionId, List<StoredSpan> spans, int maxBytes) {
        var snapshot = assemble(spans).setSessionId(sessionId);
        snapshot.setRecord(RecordRef.newBuilder().setProjectId(projectId).setLevel(Level.LEVEL_SESSION)
                .setRecordId(sessionId).setSessionId(sessionId));
        return finish(snapshot, maxBytes);
    }

    private static RecordSnapshot.Builder assemble(List<StoredSpan> spans) {
        RecordSnapshot root = spans.stream().filter(StoredSpan::root).map(StoredSpan::snapshot).findFirst()
                .orElse(spans.get(0).snapshot());
        var record = RecordSnapshot.newBuilder().setName(root.getName()).setOperation(root.getOperation())
                .putAllAttributes(root.getAttributesMap()).putAllResourceAttributes(root.getResourceAttributesMap());
        Set<String> traces = new LinkedHashSet<>();
        Set<String> seenMessages = new HashSet<>();
        Set<String> seenCalls = new HashSet<>();
        Set<String> models = new LinkedHashSet<>();
        Set<SourceConvention> conventions = new LinkedHashSet<>();
        List<String> instructions = new ArrayList<>();
        long inputTokens = 0;
        long outputTokens = 0;
        long totalTokens = 0;
        Timestamp start = null;
        Timestamp end = null;
        boolean truncated = false;
        long originalSize = 0;
        for (StoredSpan stored : spans) {
            RecordSnapshot span = stored.snapshot();
            traces.add(stored.traceId());
            if (record.getInput().isEmpty() && !span.getInput().isEmpty()) {
                record.setInput(span.getInput());
            }
            if (!span.getOutput().isEmpty()) {
                record.setOutput(span.getOutput());
            }
            if (!span.getContext().getSystemInstructions().isEmpty()
                    && !instructions.contains(span.getContext().getSystemInstructions())) {
                instructions.add(span.getContext().getSystemInstructions());
            }
            record.getContextBuilder().addAllDocuments(span.getContext().getDocumentsList());
            if (!span.getContext().getText().isEmpty()) {
                record.getContextBuilder().setText(span.getContext().getText());
            }
            for (ChatMessage message : span.getMessagesList()) {
                if (seenMessages.add(message.getRole() + "\u0000" + message.getContent() + "\u0000"
                        + message.getToolCallId() + "\u0000" + message.getToolCallsList())) {
                    record.addMessages(message);
                }
            }
            for (ToolCall call : span.getToolCallsList()) {
                String key = call.getId().isEmpty() ? call.getSpanId() + "/" + call.getName() + "/" + call.getArguments()
                        : call.getId();
                if (seenCalls.add(key)) {
                    record.addToolCalls(call);
                } else if (call.hasStartTime()) {
                    // the executed tool span (with result and timing) supersedes the call the model only requested
                    for (int i = 0; i < record.getToolCallsCount(); i++) {
                        if (record.getToolCalls(i).getId().equals(call.getId())) {
                            record.setToolCalls(i, call);
                        }
                    }
                }
            }
            if (!span.getModel().isEmpty()) {
                record.setModel(span.getModel());
                models.add(span.getModel());
            }
            models.addAll(span.getModelsUsedList());
            if (!span.getProvider().isEmpty()) {
                record.setProvider(span.getProvider());
            }
            inputTokens += span.getTokenUsage().getInputTokens();
            outputTokens += span.getTokenUsage().getOutputTokens();
            totalTokens += span.getTokenUsage().getTotalTokens();
            if (record.getSessionId().isEmpty()) {
                record.setSessionId(span.getSessionId());
            }
            if (span.hasStartTime() && (start == null || before(span.getStartTime(), start))) {
                start = span.getStartTime();
            }
            if (span.hasEndTime() && (end == null || before(end, span.getEndTime()))) {
                end = span.getEndTime();
            }
            if (span.getError() && !record.getError()) {
                record.setError(true).setErrorMessage(span.getErrorMessage());
            }
            if (span.getConvention() != SourceConvention.SOURCE_CONVENTION_UNSPECIFIED) {
                conventions.add(span.getConvention());
            }
            truncated |= span.getTruncated();
            originalSize += span.getOriginalSizeBytes();
        }
        // a trace's root (a session's last root) answered; its first root was asked
        spans.stream().filter(StoredSpan::root).map(StoredSpan::snapshot).map(RecordSnapshot::getOutput)
                .filter(output -> !output.isEmpty()).reduce((first, last) -> last).ifPresent(record::setOutput);
        if (!root.getInput().isEmpty()) {
            record.setInput(root.getInput());
        }
        record.getContextBuilder().setSystemInstructions(String.join("\n\n", instructions));
        record.addAllModelsUsed(models);
        if (inputTokens + outputTokens + totalTokens > 0) {
            record.setTokenUsage(TokenUsage.newBuilder().setInputTokens(inputTokens).setOutputTokens(outputTokens)
                    .setTotalTokens(totalTokens > 0 ? totalTokens : inputTokens + outputTokens));
        }
        if (start != null) {
            record.setStartTime(start);
        }
        if (end != null) {
            record.setEndTime(end);
        }
        record.setSpanCount(spans.size()).setTraceCount(traces.size());
        record.setConvention(conventions.size() == 1 ? conventions.iterator().next()
                : conventions.isEmpty() ? SourceConvention.SOURCE_CONVENTION_UNSPECIFIED
                : SourceConvention.SOURCE_CONVENTION_MIXED);
        record.setTruncated(truncated).setOriginalSizeBytes(originalSize);
        return record;
    }

    /** Cuts the record to the size limit, then hashes its content (serialized once, for the hash and for storage). */
    private static HashedSnapshot finish(RecordSnapshot.Builder record, int maxBytes) {
        int size = record.build().getSerializedSize();
        if (size > maxBytes) {
            record.setTruncated(true).setOriginalSizeBytes(Math.max(record.getOriginalSizeBytes(), size));
            int leftOutMessages = 0;
            while (record.build().getSerializedSize() > maxBytes && record.getMessagesCount() > 3) {
                record.removeMessages(record.getMessagesCount() / 2);
                leftOutMessages++;
            }
            int leftOutCalls = 0;
            while (record.build().getSerializedSize() > maxBytes && record.getToolCallsCount() > 2) {
                record.removeToolCalls(record.getToolCallsCount() / 2);
                leftOutCalls++;
            }
            if (leftOutMessages + leftOutCalls > 0) {
                record.addMessages(Math.min(record.getMessagesCount(), record.getMessagesCount() / 2 + 1),
                        ChatMessage.newBuilder().setRole(MessageRole.MESSAGE_ROLE_OTHER).setRoleName("plumbline")
                                .setContent(MARKER + " " + leftOutMessages + " message(s) and " + leftOutCalls
                                        + " tool call(s) left out"));
            }
        }
        return ContentHash.hashAndSerialize(record);
    }

    private static boolean before(Timestamp a, Timestamp b) {
        return a.getSeconds() < b.getSeconds() || (a.getSeconds() == b.getSeconds() && a.getNanos() < b.getNanos());
    }
}
