package io.plumbline.judge.normalize;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.plumbline.judge.normalize.Extraction.IndexedCall;
import io.plumbline.judge.normalize.Extraction.IndexedDocument;
import io.plumbline.judge.normalize.Extraction.IndexedMessage;
import io.plumbline.judge.normalize.Extraction.IndexedPart;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.RetrievedDocument;
import io.plumbline.proto.judge.v1.SourceConvention;
import io.plumbline.proto.judge.v1.TokenUsage;
import io.plumbline.proto.judge.v1.ToolCall;

/**
 * Turns one OTLP span into a span-level record: every convention's table reads the span's attributes (and the
 * attributes of the span events older GenAI instrumentations put content in); the first table in precedence order
 * that found content supplies input, output, messages, context and tool calls; metadata comes from all of them.
 * Stateless and thread-safe; pure CPU work (no I/O), safe on an event loop.
 */
public final class SpanNormalizer {

    /** Span events whose attributes carry content like span attributes do (older OpenTelemetry GenAI versions). */
    static final Set<String> CONTENT_EVENTS = Set.of("gen_ai.content.prompt", "gen_ai.content.completion",
            "gen_ai.client.inference.operation.details");

    private static final HexFormat HEX = HexFormat.of();

    private final int maxTextLength;
    private final String projectAttribute;
    private final String defaultProject;
    private final List<ConventionTable> tables;

    /**
     * @param maxTextLength    text fields longer than this (characters) are cut, ending with "[truncated]"
     * @param projectAttribute the resource (or span) attribute naming the record's project
     * @param defaultProject   the project of spans without that attribute
     */
    public SpanNormalizer(int maxTextLength, String projectAttribute, String defaultProject) {
        this(maxTextLength, projectAttribute, defaultProject, ConventionTables.ALL);
    }

    SpanNormalizer(int maxTextLength, String projectAttribute, String defaultProject, List<ConventionTable> tables) {
        this.maxTextLength = maxTextLength;
        this.projectAttribute = projectAttribute;
        this.defaultProject = defaultProject;
        this.tables = List.copyOf(tables);
    }

    /** The span-level record of {@code span}, emitted under {@code resource}. Ids must be valid (16 and 8 bytes). */
    public NormalizedSpan normalize(Resource resource, Span span) {
        Map<String, AnyValue> spanAttributes = attributes(span.getAttributesList());
        Map<String, AnyValue> readable = new LinkedHashMap<>(spanAttributes);
        for (Span.Event event : span.getEventsList()) {
            if (CONTENT_EVENTS.contains(event.getName())) {
                event.getAttributesList().forEach(kv -> readable.putIfAbsent(kv.getKey(), kv.getValue()));
            }
        }

        List<Extraction> extractions = new ArrayList<>(tables.size());
        Extraction chosen = null;
        Set<String> contentKeys = new HashSet<>();
        for (ConventionTable table : tables) {
            Extraction extraction = table.extract(readable);
            extractions.add(extraction);
            contentKeys.addAll(extraction.contentKeys);
            if (chosen == null && extraction.hasContent()) {
                chosen = extraction;
            }
        }
        List<Extraction> byPrecedence = new ArrayList<>(extractions);
        if (chosen != null) {
            byPrecedence.remove(chosen);
            byPrecedence.add(0, chosen);
        }

        String traceId = HEX.formatHex(span.getTraceId().toByteArray());
        String spanId = HEX.formatHex(span.getSpanId().toByteArray());
        String parentSpanId = span.getParentSpanId().isEmpty() ? "" : HEX.formatHex(span.getParentSpanId().toByteArray());
        Map<String, AnyValue> resourceAttributes = attributes(resource.getAttributesList());
        boolean error = span.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR;

        RecordSnapshot.Builder snapshot = RecordSnapshot.newBuilder();
        String sessionId = text(byPrecedence, Field.SESSION_ID);
        String project = project(resourceAttributes, spanAttributes);
        snapshot.setRecord(RecordRef.newBuilder().setProjectId(project).setLevel(Level.LEVEL_SPAN)
                .setRecordId(traceId + "/" + spanId).setTraceId(traceId).setSpanId(spanId).setSessionId(sessionId));
        snapshot.setSessionId(sessionId);
        snapshot.setName(span.getName());
        snapshot.setOperation(text(byPrecedence, Field.OPERATION));
        snapshot.setProvider(text(byPrecedence, Field.PROVIDER));
        String model = text(byPrecedence, Field.RESPONSE_MODEL);
        if (model.isEmpty()) {
            model = text(byPrecedence, Field.REQUEST_MODEL);
        }
        snapshot.setModel(model);
        if (!model.isEmpty()) {
            snapshot.addModelsUsed(model);
        }
        tokenUsage(byPrecedence).ifPresent(snapshot::setTokenUsage);
        snapshot.setStartTime(timestamp(span.getStartTimeUnixNano()));
        snapshot.setEndTime(timestamp(span.getEndTimeUnixNano()));
        snapshot.setSpanCount(1);
        snapshot.setTraceCount(1);
        snapshot.setError(error);
        if (error) {
            snapshot.setErrorMessage(span.getStatus().getMessage());
        }
        if (chosen != null) {
            snapshot.setConvention(chosen.convention);
            content(snapshot, chosen, byPrecedence, span, traceId, spanId, error);
        }
        spanAttributes.forEach((key, value) -> {
            if (!contentKeys.contains(key)) {
                snapshot.putAttributes(key, AttributeValues.text(value));
            }
        });
        resourceAttributes.forEach((key, value) -> snapshot.putResourceAttributes(key, AttributeValues.text(value)));

        Truncation.apply(snapshot, maxTextLength);
        ContentHash.HashedSnapshot hashed = ContentHash.hashAndSerialize(snapshot);
        return new NormalizedSpan(traceId, spanId, parentSpanId, span.getStartTimeUnixNano(), span.getEndTimeUnixNano(),
                hashed.snapshot(), hashed.bytes());
    }

    private void content(RecordSnapshot.Builder snapshot, Extraction content, List<Extraction> byPrecedence, Span span,
            String traceId, String spanId, boolean error) {
        List<ChatMessage.Builder> inputs = new ArrayList<>();
        String inputText = messagesOrText(content.get(Field.MESSAGES), content.get(Field.MESSAGES_OR_TEXT), content.inputMessages,
                false, inputs);
        List<ChatMessage.Builder> outputs = new ArrayList<>();
        String outputText = messagesOrText(content.getOutput(Field.MESSAGES), content.getOutput(Field.MESSAGES_OR_TEXT),
                content.outputMessages, true, outputs);

        List<String> system = new ArrayList<>();
        String instructions = systemInstructions(content.get(Field.SYSTEM_INSTRUCTIONS));
        if (!instructions.isEmpty()) {
            system.add(instructions);
        }
        for (ChatMessage.Builder message : inputs) {
            if (message.getRole() == MessageRole.MESSAGE_ROLE_SYSTEM && !message.getContent().isEmpty()
                    && !system.contains(message.getContent())) {
                system.add(message.getContent());
            }
        }
        snapshot.getContextBuilder().setSystemInstructions(String.join("\n\n", system));

        String input = lastContent(inputs, MessageRole.MESSAGE_ROLE_USER);
        if (input.isEmpty()) {
            input = firstNonEmpty(text(content, Field.INPUT_VALUE), inputText, text(content, Field.TOOL_ARGUMENTS));
        }
        String output = lastContent(outputs, MessageRole.MESSAGE_ROLE_ASSISTANT);
        if (output.isEmpty()) {
            output = lastContent(outputs, MessageRole.MESSAGE_ROLE_UNSPECIFIED);
        }
        if (output.isEmpty()) {
            output = firstNonEmpty(text(content, Field.OUTPUT_VALUE), outputText, text(content, Field.TOOL_RESULT));
        }
        snapshot.setInput(input);
        snapshot.setOutput(output);

        for (ChatMessage.Builder message : inputs) {
            snapshot.addMessages(message.setSpanId(spanId).setTraceId(traceId));
        }
        for (ChatMessage.Builder message : outputs) {
            snapshot.addMessages(message.setSpanId(spanId).setTraceId(traceId));
        }

        if (isToolSpan(snapshot.getOperation(), content)) {
            snapshot.addToolCalls(ToolCall.newBuilder()
                    .setId(text(byPrecedence, Field.TOOL_CALL_ID))
                    .setName(firstNonEmpty(text(byPrecedence, Field.TOOL_NAME), span.getName()))
                    .setArguments(firstNonEmpty(text(content, Field.TOOL_ARGUMENTS), text(content, Field.INPUT_VALUE)))
                    .setResult(firstNonEmpty(text(content, Field.TOOL_RESULT), text(content, Field.OUTPUT_VALUE)))
                    .setError(error)
                    .setSpanId(spanId)
                    .setStartTime(timestamp(span.getStartTimeUnixNano()))
                    .setDuration(duration(span.getEndTimeUnixNano() - span.getStartTimeUnixNano())));
        }
        for (ChatMessage.Builder message : outputs) {
            for (ToolCall call : message.getToolCallsList()) {
                snapshot.addToolCalls(call.toBuilder().setSpanId(spanId));
            }
        }

        for (IndexedDocument indexed : content.documents.values()) {
            RetrievedDocument.Builder document = RetrievedDocument.newBuilder()
                    .setId(AttributeValues.text(indexed.id)).setContent(AttributeValues.text(indexed.content));
            Double score = AttributeValues.decimal(indexed.score);
            if (score != null) {
                document.setScore(score);
            }
            if (indexed.metadata != null) {
                JsonNode metadata = AttributeValues.json(indexed.metadata);
                if (metadata.isObject()) {
                    metadata.fields().forEachRemaining(e -> document.putMetadata(e.getKey(), plain(e.getValue())));
                } else {
                    document.putMetadata("metadata", AttributeValues.text(indexed.metadata));
                }
            }
            snapshot.getContextBuilder().addDocuments(document);
        }
        AnyValue documentList = content.get(Field.DOCUMENTS);
        JsonNode documents = documentList == null ? null : AttributeValues.json(documentList);
        if (documents != null && documents.isArray()) {
            documents.forEach(listed -> snapshot.getContextBuilder().addDocuments(document(listed)));
        }
    }

    /**
     * A document of a GenAI document list: {@code id}, {@code content} (or {@code text}), {@code score}, and every other
     * property (the {@code metadata} object's properties flattened) as metadata; a bare string is the content.
     */
    private static RetrievedDocument.Builder document(JsonNode listed) {
        RetrievedDocument.Builder document = RetrievedDocument.newBuilder();
        if (!listed.isObject()) {
            return document.setContent(listed.isTextual() ? listed.asText() : listed.toString());
        }
        listed.fields().forEachRemaining(property -> {
            JsonNode value = property.getValue();
            switch (property.getKey()) {
                case "id" -> document.setId(value.asText());
                case "content", "text" -> document.setContent(value.isTextual() ? value.asText() : value.toString());
                case "score" -> {
                    if (value.isNumber()) {
                        document.setScore(value.asDouble());
                    }
                }
                case "metadata" -> {
                    if (value.isObject()) {
                        value.fields().forEachRemaining(e -> document.putMetadata(e.getKey(), plain(e.getValue())));
                    } else {
                        document.putMetadata("metadata", plain(value));
                    }
                }
                default -> document.putMetadata(property.getKey(), plain(value));
            }
        });
        return document;
    }

    private static String plain(JsonNode value) {
        return value.isTextual() ? value.asText() : value.toString();
    }

    /**
     * Fills {@code messages} from a whole-list attribute, else a deprecated messages-or-text attribute, else the
     * indexed messages; returns the plain text when the deprecated attribute was not a message list.
     */
    private static String messagesOrText(AnyValue list, AnyValue legacy, Map<Integer, IndexedMessage> indexed,
            boolean output, List<ChatMessage.Builder> messages) {
        String text = "";
        if (list != null) {
            JsonNode node = AttributeValues.json(list);
            if (ChatMessages.isMessages(node)) {
                messages.addAll(ChatMessages.parse(node, output));
                return "";
            }
            text = AttributeValues.text(list);
        }
        if (legacy != null) {
            JsonNode node = AttributeValues.json(legacy);
            if (ChatMessages.isMessages(node)) {
                messages.addAll(ChatMessages.parse(node, output));
                return text;
            }
            text = text.isEmpty() ? AttributeValues.text(legacy) : text;
        }
        for (IndexedMessage message : indexed.values()) {
            messages.add(indexedMessage(message, output));
        }
        return text;
    }

    private static ChatMessage.Builder indexedMessage(IndexedMessage indexed, boolean output) {
        ChatMessage.Builder message = ChatMessage.newBuilder().setIsOutput(output);
        ChatMessages.role(message, indexed.role != null ? AttributeValues.text(indexed.role) : output ? "assistant" : "");
        if (indexed.content != null) {
            message.setContent(ChatMessages.contentText(AttributeValues.text(indexed.content)));
        } else {
            List<String> parts = new ArrayList<>();
            for (IndexedPart part : indexed.parts.values()) {
                String type = part.type == null ? "text" : AttributeValues.text(part.type);
                parts.add(type.equals("text") ? AttributeValues.text(part.text) : "[" + type + "]");
            }
            message.setContent(String.join("\n", parts));
        }
        if (indexed.name != null) {
            message.setName(AttributeValues.text(indexed.name));
        }
        if (indexed.toolCallId != null) {
            message.setToolCallId(AttributeValues.text(indexed.toolCallId));
        }
        if (indexed.finishReason != null) {
            message.setFinishReason(AttributeValues.text(indexed.finishReason));
        }
        for (IndexedCall call : indexed.calls.values()) {
            message.addToolCalls(ToolCall.newBuilder().setId(AttributeValues.text(call.id))
                    .setName(AttributeValues.text(call.name)).setArguments(AttributeValues.text(call.arguments)));
        }
        return message;
    }

    /** System instructions: text, or a list of parts whose text parts are joined. */
    private static String systemInstructions(AnyValue value) {
        if (value == null) {
            return "";
        }
        JsonNode node = AttributeValues.json(value);
        if (node.isArray()) {
            List<String> texts = new ArrayList<>();
            for (JsonNode part : node) {
                if (part.isTextual()) {
                    texts.add(part.asText());
                } else if (part.has("content") || part.has("text")) {
                    texts.add(part.has("content") ? part.get("content").asText() : part.get("text").asText());
                }
            }
            return String.join("\n", texts);
        }
        return AttributeValues.text(value);
    }

    private static boolean isToolSpan(String operation, Extraction content) {
        String op = operation.toLowerCase(Locale.ROOT);
        return op.equals("execute_tool") || op.equals("tool") || content.get(Field.TOOL_ARGUMENTS) != null
                || content.get(Field.TOOL_RESULT) != null;
    }

    private static java.util.Optional<TokenUsage> tokenUsage(List<Extraction> byPrecedence) {
        Long in = integer(byPrecedence, Field.INPUT_TOKENS);
        Long out = integer(byPrecedence, Field.OUTPUT_TOKENS);
        Long total = integer(byPrecedence, Field.TOTAL_TOKENS);
        if (in == null && out == null && total == null) {
            return java.util.Optional.empty();
        }
        long i = in == null ? 0 : in;
        long o = out == null ? 0 : out;
        return java.util.Optional.of(TokenUsage.newBuilder().setInputTokens(i).setOutputTokens(o)
                .setTotalTokens(total != null ? total : i + o).build());
    }

    private String project(Map<String, AnyValue> resource, Map<String, AnyValue> span) {
        AnyValue value = resource.get(projectAttribute);
        if (value == null) {
            value = span.get(projectAttribute);
        }
        String project = AttributeValues.text(value);
        return project.isEmpty() ? defaultProject : project;
    }

    private static String lastContent(List<ChatMessage.Builder> messages, MessageRole role) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage.Builder message = messages.get(i);
            if (message.getRole() == role && !message.getContent().isEmpty()) {
                return message.getContent();
            }
        }
        return "";
    }

    private static String text(List<Extraction> byPrecedence, Field field) {
        for (Extraction extraction : byPrecedence) {
            AnyValue value = extraction.get(field);
            if (value != null) {
                String text = AttributeValues.text(value);
                if (!text.isEmpty()) {
                    return text;
                }
            }
        }
        return "";
    }

    private static String text(Extraction extraction, Field field) {
        return AttributeValues.text(extraction.get(field));
    }

    private static Long integer(List<Extraction> byPrecedence, Field field) {
        for (Extraction extraction : byPrecedence) {
            Long value = AttributeValues.integer(extraction.get(field));
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static String firstNonEmpty(String... candidates) {
        for (String candidate : candidates) {
            if (candidate != null && !candidate.isEmpty()) {
                return candidate;
            }
        }
        return "";
    }

    private static Map<String, AnyValue> attributes(List<KeyValue> list) {
        Map<String, AnyValue> map = new LinkedHashMap<>(list.size() * 2);
        for (KeyValue kv : list) {
            map.put(kv.getKey(), kv.getValue());
        }
        return map;
    }

    private static Timestamp timestamp(long unixNano) {
        return Timestamp.newBuilder().setSeconds(unixNano / 1_000_000_000L).setNanos((int) (unixNano % 1_000_000_000L)).build();
    }

    private static Duration duration(long nanos) {
        long positive = Math.max(0, nanos);
        return Duration.newBuilder().setSeconds(positive / 1_000_000_000L).setNanos((int) (positive % 1_000_000_000L)).build();
    }
}
