package io.plumbline.common.metric;

import io.plumbline.common.api.Violations;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import java.util.HashSet;
import java.util.Set;

/** The rules of output types and of the typed values they allow; one place for every service. */
public final class OutputTypes {

    public static final int MAX_LABELS = 50;
    public static final int MAX_LABEL_LENGTH = 64;

    private OutputTypes() {
    }

    /** Checks an output type's parameters, reporting under {@code field}. */
    public static void validate(OutputType type, String field, Violations violations) {
        switch (type.getKindCase()) {
            case KIND_NOT_SET -> violations.add(field, "is required: one of boolean, categorical, percentage, count, discrete");
            case CATEGORICAL -> {
                var labels = type.getCategorical().getLabelsList();
                violations.check(labels.size() < 2 || labels.size() > MAX_LABELS, field + ".categorical.labels",
                        "must hold 2 to " + MAX_LABELS + " labels (has " + labels.size() + ")");
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < labels.size(); i++) {
                    String label = labels.get(i);
                    String labelField = field + ".categorical.labels[" + i + "]";
                    if (label.isBlank() || label.length() > MAX_LABEL_LENGTH) {
                        violations.add(labelField, "must be 1 to " + MAX_LABEL_LENGTH + " characters, not blank");
                    } else if (!seen.add(label)) {
                        violations.add(labelField, "repeats the label \"" + label + "\"");
                    }
                }
            }
            case DISCRETE -> violations.check(type.getDiscrete().getMax() <= type.getDiscrete().getMin(),
                    field + ".discrete", "max must be greater than min (min " + type.getDiscrete().getMin() + ", max "
                            + type.getDiscrete().getMax() + ")");
            case BOOLEAN, PERCENTAGE, COUNT -> {
            }
        }
    }

    /**
     * Checks that {@code value} fits {@code type}; returns the broken rule, or null when it fits. The rule reads as a
     * sentence after the field name, for example "must be a label of [pass, fail] (was \"maybe\")".
     */
    public static String violation(OutputType type, MetricValue value) {
        if (value.getValueCase() == MetricValue.ValueCase.VALUE_NOT_SET) {
            return "is required: a " + describe(type) + " value";
        }
        return switch (type.getKindCase()) {
            case BOOLEAN -> value.hasBoolean() ? null : mismatch(type, value);
            case CATEGORICAL -> {
                if (!value.hasCategorical()) {
                    yield mismatch(type, value);
                }
                var labels = type.getCategorical().getLabelsList();
                yield labels.contains(value.getCategorical()) ? null
                        : "must be one of the labels " + labels + " (was \"" + value.getCategorical() + "\")";
            }
            case PERCENTAGE -> {
                if (!value.hasPercentage()) {
                    yield mismatch(type, value);
                }
                double p = value.getPercentage();
                yield (p >= 0 && p <= 100) ? null : "must be a percentage from 0 to 100 (was " + p + ")";
            }
            case COUNT -> {
                if (!value.hasCount()) {
                    yield mismatch(type, value);
                }
                yield value.getCount() >= 0 ? null : "must be a count of 0 or more (was " + value.getCount() + ")";
            }
            case DISCRETE -> {
                if (!value.hasDiscrete()) {
                    yield mismatch(type, value);
                }
                long min = type.getDiscrete().getMin();
                long max = type.getDiscrete().getMax();
                long v = value.getDiscrete();
                yield (v >= min && v <= max) ? null
                        : "must be a whole number from " + min + " to " + max + " (was " + v + ")";
            }
            case KIND_NOT_SET -> "cannot be checked: the metric has no output type";
        };
    }

    /** A short description for people and prompts, for example {@code categorical [helpful, neutral, rude]}. */
    public static String describe(OutputType type) {
        return switch (type.getKindCase()) {
            case BOOLEAN -> "boolean";
            case CATEGORICAL -> "categorical " + type.getCategorical().getLabelsList();
            case PERCENTAGE -> "percentage (0-100)";
            case COUNT -> "count (0 or more)";
            case DISCRETE -> "discrete (" + type.getDiscrete().getMin() + "-" + type.getDiscrete().getMax() + ")";
            case KIND_NOT_SET -> "unset";
        };
    }

    /** The value as text, for people, diffs and prompts. */
    public static String format(MetricValue value) {
        return switch (value.getValueCase()) {
            case BOOLEAN -> Boolean.toString(value.getBoolean());
            case CATEGORICAL -> value.getCategorical();
            case PERCENTAGE -> stripZero(value.getPercentage());
            case COUNT -> Long.toString(value.getCount());
            case DISCRETE -> Long.toString(value.getDiscrete());
            case VALUE_NOT_SET -> "";
        };
    }

    /** Percentage, count and discrete values are numbers: they agree within a delta rather than by equality. */
    public static boolean isNumeric(OutputType type) {
        return switch (type.getKindCase()) {
            case PERCENTAGE, COUNT, DISCRETE -> true;
            case BOOLEAN, CATEGORICAL, KIND_NOT_SET -> false;
        };
    }

    /** The value as a number, for numeric kinds; empty for boolean, categorical and unset values. */
    public static java.util.OptionalDouble numeric(MetricValue value) {
        return switch (value.getValueCase()) {
            case PERCENTAGE -> java.util.OptionalDouble.of(value.getPercentage());
            case COUNT -> java.util.OptionalDouble.of(value.getCount());
            case DISCRETE -> java.util.OptionalDouble.of(value.getDiscrete());
            case BOOLEAN, CATEGORICAL, VALUE_NOT_SET -> java.util.OptionalDouble.empty();
        };
    }

    /** Two values agree when equal, or for numeric kinds when they lie at most {@code tolerance} apart. */
    public static boolean agree(MetricValue a, MetricValue b, double tolerance) {
        var x = numeric(a);
        var y = numeric(b);
        if (x.isPresent() && y.isPresent()) {
            return Math.abs(x.getAsDouble() - y.getAsDouble()) <= tolerance;
        }
        return a.equals(b);
    }

    private static String mismatch(OutputType type, MetricValue value) {
        return "must be a " + describe(type) + " value (was a " + value.getValueCase().name().toLowerCase() + " value)";
    }

    private static String stripZero(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
