package io.plumbline.console.view;

import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A judged record as a reviewer reads it: the conversation as turns, documents, tool calls, and the metadata. */
public record RecordView(
        String level,
        String recordId,
        String traceId,
        String sessionId,
        String name,
        String model,
        String tokens,
        Text input,
        Text output,
        Text systemInstructions,
        Text contextText,
        List<Turn> turns,
        List<Document> documents,
        List<Tool> toolCalls,
        Map<String, String> attributes,
        boolean truncated) {

    public record Turn(String role, Text content, boolean output) {
    }

    public record Document(String id, String score, Text content) {
    }

    public record Tool(String name, String arguments, Text result, boolean error) {
    }

    public static RecordView of(RecordSnapshot s) {
        List<Turn> turns = s.getMessagesList().stream().map(RecordView::turn).toList();
        List<Document> documents = s.getContext().getDocumentsList().stream()
                .map(d -> new Document(d.getId().isBlank() ? "document" : d.getId(),
                        d.hasScore() ? String.format("%.2f", d.getScore()) : "", Text.of(d.getContent())))
                .toList();
        List<Tool> tools = s.getToolCallsList().stream()
                .map(t -> new Tool(t.getName(), t.getArguments(), Text.of(t.getResult()), t.getError())).toList();
        Map<String, String> attributes = new TreeMap<>(s.getAttributesMap());
        s.getResourceAttributesMap().forEach((k, v) -> attributes.put("resource." + k, v));
        String tokens = s.hasTokenUsage() && s.getTokenUsage().getTotalTokens() > 0
                ? s.getTokenUsage().getInputTokens() + " in / " + s.getTokenUsage().getOutputTokens() + " out" : "";
        return new RecordView(Values.level(s.getRecord().getLevel()), s.getRecord().getRecordId(),
                s.getRecord().getTraceId(), s.getSessionId().isBlank() ? s.getRecord().getSessionId() : s.getSessionId(),
                s.getName(), s.getModel(), tokens, Text.of(s.getInput()), Text.of(s.getOutput()),
                Text.of(s.getContext().getSystemInstructions()), Text.of(s.getContext().getText()), turns, documents,
                tools, attributes, s.getTruncated());
    }

    /** Whether the turns already show input and output (then the plain input/output boxes are not repeated). */
    public boolean conversation() {
        return !turns.isEmpty();
    }

    private static Turn turn(ChatMessage m) {
        String role = switch (m.getRole()) {
            case MESSAGE_ROLE_SYSTEM -> "system";
            case MESSAGE_ROLE_USER -> "user";
            case MESSAGE_ROLE_ASSISTANT -> "assistant";
            case MESSAGE_ROLE_TOOL -> "tool";
            default -> m.getRoleName().isBlank() ? "other" : m.getRoleName();
        };
        return new Turn(role, Text.of(m.getContent()), m.getIsOutput());
    }
}
