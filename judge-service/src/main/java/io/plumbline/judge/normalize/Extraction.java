package io.plumbline.judge.normalize;

import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.plumbline.judge.normalize.MappingRule.Side;
import io.plumbline.proto.judge.v1.SourceConvention;

/** What one convention's table read from one span: raw values by field, indexed messages and documents. */
final class Extraction {

    final SourceConvention convention;
    // created on first use: a span is read by every convention's table, and most tables find little or nothing in it
    private Map<Field, AnyValue> values;
    private Map<Field, Integer> ranks;
    private Map<Field, AnyValue> outputValues;
    final TreeMap<Integer, IndexedMessage> inputMessages = new TreeMap<>();
    final TreeMap<Integer, IndexedMessage> outputMessages = new TreeMap<>();
    final TreeMap<Integer, IndexedDocument> documents = new TreeMap<>();
    /** Keys of content attributes read: left out of the snapshot's attributes. */
    final Set<String> contentKeys = new HashSet<>();

    Extraction(SourceConvention convention) {
        this.convention = convention;
    }

    void put(MappingRule rule, int rank, String key, int[] indexes, AnyValue value) {
        Field field = rule.field();
        if (field.content) {
            contentKeys.add(key);
        }
        if (indexes.length == 0) {
            if (rule.side() == Side.OUTPUT) {
                if (outputValues == null) {
                    outputValues = new EnumMap<>(Field.class);
                }
                outputValues.putIfAbsent(field, value);
                return;
            }
            if (values == null) {
                values = new EnumMap<>(Field.class);
                ranks = new EnumMap<>(Field.class);
            }
            Integer existing = ranks.get(field);
            if (existing == null || rank < existing) {
                values.put(field, value);
                ranks.put(field, rank);
            }
            return;
        }
        int n = indexes[0];
        int m = indexes.length > 1 ? indexes[1] : 0;
        if (field.name().startsWith("DOCUMENT_")) {
            IndexedDocument document = documents.computeIfAbsent(n, i -> new IndexedDocument());
            switch (field) {
                case DOCUMENT_ID -> document.id = value;
                case DOCUMENT_CONTENT -> document.content = value;
                case DOCUMENT_SCORE -> document.score = value;
                case DOCUMENT_METADATA -> document.metadata = value;
                default -> { }
            }
            return;
        }
        IndexedMessage message = (rule.side() == Side.OUTPUT ? outputMessages : inputMessages)
                .computeIfAbsent(n, i -> new IndexedMessage());
        switch (field) {
            case MESSAGE_ROLE -> message.role = value;
            case MESSAGE_CONTENT -> message.content = value;
            case MESSAGE_NAME -> message.name = value;
            case MESSAGE_TOOL_CALL_ID -> message.toolCallId = value;
            case MESSAGE_FINISH_REASON -> message.finishReason = value;
            case MESSAGE_PART_TYPE -> message.part(m).type = value;
            case MESSAGE_PART_TEXT -> message.part(m).text = value;
            case CALL_ID -> message.call(m).id = value;
            case CALL_NAME -> message.call(m).name = value;
            case CALL_ARGUMENTS -> message.call(m).arguments = value;
            default -> { }
        }
    }

    /** The value of a single-valued field (input side for fields that have two), or null. */
    AnyValue get(Field field) {
        return values == null ? null : values.get(field);
    }

    /** The output-side value of a field that has an input and an output side ({@link Field#MESSAGES}), or null. */
    AnyValue getOutput(Field field) {
        return outputValues == null ? null : outputValues.get(field);
    }

    /** True when the table found traced content (not only metadata). */
    boolean hasContent() {
        return !contentKeys.isEmpty();
    }

    static final class IndexedMessage {
        AnyValue role;
        AnyValue content;
        AnyValue name;
        AnyValue toolCallId;
        AnyValue finishReason;
        final TreeMap<Integer, IndexedPart> parts = new TreeMap<>();
        final TreeMap<Integer, IndexedCall> calls = new TreeMap<>();

        IndexedPart part(int m) {
            return parts.computeIfAbsent(m, i -> new IndexedPart());
        }

        IndexedCall call(int m) {
            return calls.computeIfAbsent(m, i -> new IndexedCall());
        }
    }

    static final class IndexedPart {
        AnyValue type;
        AnyValue text;
    }

    static final class IndexedCall {
        AnyValue id;
        AnyValue name;
        AnyValue arguments;
    }

    static final class IndexedDocument {
        AnyValue id;
        AnyValue content;
        AnyValue score;
        AnyValue metadata;
    }
}
