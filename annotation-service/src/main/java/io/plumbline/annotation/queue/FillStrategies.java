package io.plumbline.annotation.queue;

import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.annotation.v1.FillStrategy;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Whether a queue's strategy and matchers take an evaluation. Pure: the same evaluation always gets the same answer. */
public final class FillStrategies {

    static final int DEFAULT_NUMERIC_BUCKETS = 5;

    private FillStrategies() {
    }

    /**
     * A number in [0, 1) from the evaluation id (SHA-256), so that replicas and replays choose the same evaluations;
     * random sampling with {@code java.util.Random} would not.
     */
    public static double fraction(String evaluationId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(evaluationId.getBytes(StandardCharsets.UTF_8));
            long bits = 0;
            for (int i = 0; i < 7; i++) {
                bits = (bits << 8) | (digest[i] & 0xff);
            }
            return bits / (double) (1L << 56);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether the strategy takes the evaluation, apart from the stratified cap (which needs a count, see
     * {@link #stratum}).
     */
    public static boolean takes(FillStrategy strategy, Evaluation evaluation) {
        return switch (strategy.getKindCase()) {
            case ALL, STRATIFIED -> true;
            case RANDOM -> fraction(evaluation.getId()) < strategy.getRandom().getRate();
            case BORDERLINE -> {
                var band = strategy.getBorderline();
                Double v = numeric(evaluation.getValue());
                double rate = band.getRate() == 0 ? 1 : band.getRate();
                yield v != null && v >= band.getLower() && v <= band.getUpper() && fraction(evaluation.getId()) < rate;
            }
            case MANUAL, KIND_NOT_SET -> false;
        };
    }

    /**
     * The judge value's stratum for a stratified queue: the boolean or label itself; for numeric types the index of
     * an equal-width bucket over the type's range (count: 0 to the largest value seen so far, given as
     * {@code countMax}).
     */
    public static String stratum(FillStrategy strategy, Evaluation evaluation, long countMax) {
        if (strategy.getKindCase() != FillStrategy.KindCase.STRATIFIED) {
            return "";
        }
        MetricValue value = evaluation.getValue();
        OutputType type = evaluation.getOutputType();
        int buckets = strategy.getStratified().getNumericBuckets() == 0 ? DEFAULT_NUMERIC_BUCKETS
                : strategy.getStratified().getNumericBuckets();
        return switch (value.getValueCase()) {
            case BOOLEAN, CATEGORICAL -> OutputTypes.format(value);
            case PERCENTAGE -> "bucket-" + bucket(value.getPercentage(), 0, 100, buckets);
            case DISCRETE -> "bucket-" + bucket(value.getDiscrete(), type.getDiscrete().getMin(),
                    type.getDiscrete().getMax(), buckets);
            case COUNT -> "bucket-" + bucket(value.getCount(), 0, Math.max(countMax, value.getCount()), buckets);
            case VALUE_NOT_SET -> "";
        };
    }

    static int bucket(double v, double min, double max, int buckets) {
        if (max <= min) {
            return 0;
        }
        int b = (int) Math.floor((v - min) / (max - min) * buckets);
        return Math.max(0, Math.min(buckets - 1, b));
    }

    /** The value as a number for numeric types; null for boolean and categorical values. */
    public static Double numeric(MetricValue value) {
        var number = OutputTypes.numeric(value);
        return number.isPresent() ? number.getAsDouble() : null;
    }

    /** Whether the snapshot satisfies every matcher (none: always). */
    public static boolean matches(List<AttributeMatcher> matchers, RecordSnapshot snapshot) {
        for (AttributeMatcher m : matchers) {
            Map<String, String> attributes = m.getScope() == AttributeMatcher.Scope.SCOPE_RESOURCE
                    ? snapshot.getResourceAttributesMap() : snapshot.getAttributesMap();
            String actual = attributes.get(m.getKey());
            boolean ok = switch (m.getOperator()) {
                case OPERATOR_EQUALS -> m.getValue().equals(actual);
                case OPERATOR_NOT_EQUALS -> !m.getValue().equals(actual);
                case OPERATOR_EXISTS -> actual != null;
                case OPERATOR_NOT_EXISTS -> actual == null;
                case OPERATOR_PREFIX -> actual != null && actual.startsWith(m.getValue());
                case OPERATOR_REGEX -> actual != null && Pattern.compile(m.getValue()).matcher(actual).matches();
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
