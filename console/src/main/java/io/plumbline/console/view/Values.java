package io.plumbline.console.view;

import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;

/** How typed metric values and output types read on a page, and how a form's text becomes a value. */
public final class Values {

    private Values() {
    }

    public static String format(MetricValue value) {
        return switch (value.getValueCase()) {
            case BOOLEAN -> value.getBoolean() ? "true" : "false";
            case CATEGORICAL -> value.getCategorical();
            case PERCENTAGE -> trim(value.getPercentage()) + "%";
            case COUNT -> Long.toString(value.getCount());
            case DISCRETE -> Long.toString(value.getDiscrete());
            case VALUE_NOT_SET -> "—";
        };
    }

    public static String describe(OutputType type) {
        return switch (type.getKindCase()) {
            case BOOLEAN -> "boolean (true / false)";
            case CATEGORICAL -> "categorical: " + String.join(", ", type.getCategorical().getLabelsList());
            case PERCENTAGE -> "percentage (0–100)";
            case COUNT -> "count (0 or more)";
            case DISCRETE -> "discrete " + type.getDiscrete().getMin() + "–" + type.getDiscrete().getMax();
            case KIND_NOT_SET -> "unspecified";
        };
    }

    public static String level(Level level) {
        return switch (level) {
            case LEVEL_SPAN -> "span";
            case LEVEL_TRACE -> "trace";
            case LEVEL_SESSION -> "session";
            default -> "unspecified";
        };
    }

    /**
     * The value a form field holds, read as {@code type} asks. Only the shape is checked here (a number where a
     * number belongs); whether the value is allowed is the service's call, and its refusal is shown as is.
     */
    public static MetricValue parse(OutputType type, String text) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("choose or enter the value the judge should have given");
        }
        try {
            return switch (type.getKindCase()) {
                case BOOLEAN -> switch (t) {
                    case "true" -> MetricValue.newBuilder().setBoolean(true).build();
                    case "false" -> MetricValue.newBuilder().setBoolean(false).build();
                    default -> throw new IllegalArgumentException("choose true or false");
                };
                case CATEGORICAL -> MetricValue.newBuilder().setCategorical(t).build();
                case PERCENTAGE -> MetricValue.newBuilder().setPercentage(Double.parseDouble(t)).build();
                case COUNT -> MetricValue.newBuilder().setCount(Long.parseLong(t)).build();
                case DISCRETE -> MetricValue.newBuilder().setDiscrete(Long.parseLong(t)).build();
                case KIND_NOT_SET -> throw new IllegalArgumentException("the metric has no output type");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + t + "' is not a " + (type.hasPercentage() ? "number" : "whole number"));
        }
    }

    /** The form text of a value (the inverse of {@link #parse}). */
    public static String formText(MetricValue value) {
        return switch (value.getValueCase()) {
            case PERCENTAGE -> trim(value.getPercentage());
            case VALUE_NOT_SET -> "";
            default -> format(value);
        };
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
