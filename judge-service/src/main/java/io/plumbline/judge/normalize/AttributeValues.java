package io.plumbline.judge.normalize;

import java.util.Base64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;

/** OTLP attribute values as text and as JSON. */
final class AttributeValues {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AttributeValues() {
    }

    /** Scalars as text, arrays and maps as JSON, bytes as base64; "" for null or no value. */
    static String text(AnyValue value) {
        if (value == null) {
            return "";
        }
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case BOOL_VALUE -> String.valueOf(value.getBoolValue());
            case INT_VALUE -> String.valueOf(value.getIntValue());
            case DOUBLE_VALUE -> String.valueOf(value.getDoubleValue());
            case BYTES_VALUE -> Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray());
            case ARRAY_VALUE, KVLIST_VALUE -> json(value).toString();
            default -> "";
        };
    }

    /** An integer value (also from a numeric string), or null. */
    static Long integer(AnyValue value) {
        if (value == null) {
            return null;
        }
        return switch (value.getValueCase()) {
            case INT_VALUE -> value.getIntValue();
            case DOUBLE_VALUE -> (long) value.getDoubleValue();
            case STRING_VALUE -> {
                try {
                    yield Long.parseLong(value.getStringValue().trim());
                } catch (NumberFormatException e) {
                    yield null;
                }
            }
            default -> null;
        };
    }

    /** A floating-point value (also from a numeric string), or null. */
    static Double decimal(AnyValue value) {
        if (value == null) {
            return null;
        }
        return switch (value.getValueCase()) {
            case INT_VALUE -> (double) value.getIntValue();
            case DOUBLE_VALUE -> value.getDoubleValue();
            case STRING_VALUE -> {
                try {
                    yield Double.parseDouble(value.getStringValue().trim());
                } catch (NumberFormatException e) {
                    yield null;
                }
            }
            default -> null;
        };
    }

    /**
     * The value as a JSON tree: structured values as they are, a string that holds a JSON object or array parsed,
     * any other string as a JSON string.
     */
    static JsonNode json(AnyValue value) {
        if (value == null) {
            return NODES.nullNode();
        }
        return switch (value.getValueCase()) {
            case STRING_VALUE -> parseIfJson(value.getStringValue());
            case BOOL_VALUE -> NODES.booleanNode(value.getBoolValue());
            case INT_VALUE -> NODES.numberNode(value.getIntValue());
            case DOUBLE_VALUE -> NODES.numberNode(value.getDoubleValue());
            case BYTES_VALUE -> NODES.textNode(Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray()));
            case ARRAY_VALUE -> {
                ArrayNode array = NODES.arrayNode();
                value.getArrayValue().getValuesList().forEach(v -> array.add(jsonStructured(v)));
                yield array;
            }
            case KVLIST_VALUE -> {
                ObjectNode object = NODES.objectNode();
                for (KeyValue kv : value.getKvlistValue().getValuesList()) {
                    object.set(kv.getKey(), jsonStructured(kv.getValue()));
                }
                yield object;
            }
            default -> NODES.nullNode();
        };
    }

    /** Inside a structured value strings stay strings (only a top-level string is parsed as JSON). */
    private static JsonNode jsonStructured(AnyValue value) {
        return value.getValueCase() == AnyValue.ValueCase.STRING_VALUE ? NODES.textNode(value.getStringValue()) : json(value);
    }

    /** A string holding a JSON object or array, parsed; any other string as a JSON string. */
    static JsonNode parseIfJson(String text) {
        String trimmed = text.strip();
        if (!trimmed.isEmpty() && (trimmed.charAt(0) == '[' || trimmed.charAt(0) == '{')) {
            try {
                return JSON.readTree(trimmed);
            } catch (Exception e) {
                // not JSON after all
            }
        }
        return NODES.textNode(text);
    }
}
