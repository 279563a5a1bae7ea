package io.plumbline.common.metric;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import java.util.Locale;

/**
 * Typed values from the outside world: what a judge model answers (JSON) and what people write in a label file (text).
 * Each is read against the metric's output type, with the coercions such sources need ("60%" for a percentage, "pass"
 * for a boolean, a label in other letter case) and nothing looser; anything else is refused with the reason.
 */
public final class TypedValues {

    /** The property of a judgment that holds the value. */
    public static final String VALUE = "value";
    /** The property of a judgment that holds the judge's reasoning. */
    public static final String REASONING = "reasoning";

    private TypedValues() {
    }

    /** A value that does not fit the output type, with the reason. */
    public static final class InvalidValue extends IllegalArgumentException {
        public InvalidValue(String reason) {
            super(reason);
        }
    }

    /** The structured-output schema of a judgment: {@code {"reasoning": string, "value": <the type>}}. */
    public static JsonObjectSchema judgmentSchema(OutputType type) {
        return JsonObjectSchema.builder()
                .addStringProperty(REASONING, "Why the value is right, citing the data; written before deciding the value")
                .addProperty(VALUE, valueSchema(type))
                .required(REASONING, VALUE)
                .additionalProperties(false)
                .build();
    }

    private static JsonSchemaElement valueSchema(OutputType type) {
        return switch (type.getKindCase()) {
            case BOOLEAN -> dev.langchain4j.model.chat.request.json.JsonBooleanSchema.builder()
                    .description("true when the criterion is met, false otherwise").build();
            case CATEGORICAL -> dev.langchain4j.model.chat.request.json.JsonEnumSchema.builder()
                    .enumValues(type.getCategorical().getLabelsList()).description("exactly one of the labels").build();
            case PERCENTAGE -> dev.langchain4j.model.chat.request.json.JsonNumberSchema.builder()
                    .description("a percentage from 0 to 100").build();
            case COUNT -> dev.langchain4j.model.chat.request.json.JsonIntegerSchema.builder()
                    .description("a whole number, 0 or more").build();
            case DISCRETE -> dev.langchain4j.model.chat.request.json.JsonIntegerSchema.builder()
                    .description("a whole number from " + type.getDiscrete().getMin() + " to " + type.getDiscrete().getMax())
                    .build();
            case KIND_NOT_SET -> throw new IllegalArgumentException("the metric has no output type");
        };
    }

    /** Reads a JSON value (from a judge's answer) against the type. */
    public static MetricValue fromJson(OutputType type, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            throw new InvalidValue("no value: expected a " + OutputTypes.describe(type) + " value");
        }
        MetricValue value = switch (type.getKindCase()) {
            case BOOLEAN -> MetricValue.newBuilder().setBoolean(bool(node)).build();
            case CATEGORICAL -> MetricValue.newBuilder().setCategorical(label(type, node)).build();
            case PERCENTAGE -> MetricValue.newBuilder().setPercentage(percentage(node)).build();
            case COUNT -> MetricValue.newBuilder().setCount(whole(node)).build();
            case DISCRETE -> MetricValue.newBuilder().setDiscrete(whole(node)).build();
            case KIND_NOT_SET -> throw new InvalidValue("the metric has no output type");
        };
        String rule = OutputTypes.violation(type, value);
        if (rule != null) {
            throw new InvalidValue("the value " + rule);
        }
        return value;
    }

    /** Reads a value written as text (a cell of a label file) against the type. */
    public static MetricValue fromText(OutputType type, String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidValue("no value: expected a " + OutputTypes.describe(type) + " value");
        }
        return fromJson(type, TextNode.valueOf(text.strip()));
    }

    private static boolean bool(JsonNode node) {
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual()) {
            switch (node.textValue().strip().toLowerCase(Locale.ROOT)) {
                case "true", "pass", "yes", "1":
                    return true;
                case "false", "fail", "no", "0":
                    return false;
                default:
                    break;
            }
        }
        throw new InvalidValue("expected true or false (or pass/fail), got " + node);
    }

    private static String label(OutputType type, JsonNode node) {
        if (!node.isTextual()) {
            throw new InvalidValue("expected one of the labels " + type.getCategorical().getLabelsList() + ", got " + node);
        }
        String given = node.textValue().strip();
        return type.getCategorical().getLabelsList().stream().filter(label -> label.equalsIgnoreCase(given)).findFirst()
                .orElseThrow(() -> new InvalidValue("\"" + given + "\" is not one of the labels "
                        + type.getCategorical().getLabelsList()));
    }

    private static double percentage(JsonNode node) {
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            String text = node.textValue().strip();
            try {
                return Double.parseDouble(text.endsWith("%") ? text.substring(0, text.length() - 1).strip() : text);
            } catch (NumberFormatException e) {
                // refused below
            }
        }
        throw new InvalidValue("expected a percentage from 0 to 100, got " + node);
    }

    private static long whole(JsonNode node) {
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isNumber() && node.doubleValue() == Math.rint(node.doubleValue())) {
            return (long) node.doubleValue();
        }
        if (node.isTextual()) {
            try {
                return Long.parseLong(node.textValue().strip());
            } catch (NumberFormatException e) {
                // refused below
            }
        }
        throw new InvalidValue("expected a whole number, got " + node);
    }
}
