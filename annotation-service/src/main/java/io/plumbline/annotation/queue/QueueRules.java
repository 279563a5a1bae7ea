package io.plumbline.annotation.queue;

import io.plumbline.annotation.resolution.ResolutionRules;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.annotation.v1.FillStrategy;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Every rule of a queue's settings, each reported under its field. */
public final class QueueRules {

    public static final int MAX_NAME = 128;
    public static final int MAX_DESCRIPTION = 2000;

    private QueueRules() {
    }

    public static void settings(String name, String description, String metricId, FillStrategy strategy,
            List<AttributeMatcher> matchers, ResolutionSettings resolution, boolean hasResolution, Violations v) {
        v.requireText(name, "name", MAX_NAME);
        v.limitText(description, "description", MAX_DESCRIPTION);
        strategy(strategy, "strategy", v);
        v.check(metricId.isEmpty() && strategy.getKindCase() != FillStrategy.KindCase.MANUAL
                && strategy.getKindCase() != FillStrategy.KindCase.KIND_NOT_SET, "metric_id",
                "is required unless the strategy is manual");
        matchers(matchers, v);
        if (hasResolution) {
            ResolutionRules.settings(resolution, "resolution", v);
        }
    }

    public static void strategy(FillStrategy s, String field, Violations v) {
        switch (s.getKindCase()) {
            case KIND_NOT_SET -> v.add(field, "is required: one of all, random, stratified, borderline, manual");
            case RANDOM -> v.check(!(s.getRandom().getRate() > 0 && s.getRandom().getRate() <= 1), field + ".random.rate",
                    "must be in (0, 1] (was " + s.getRandom().getRate() + ")");
            case STRATIFIED -> {
                int max = s.getStratified().getMaxItemsPerValuePerDay();
                v.check(max < 1 || max > 10000, field + ".stratified.max_items_per_value_per_day",
                        "must be from 1 to 10000 (was " + max + ")");
                int buckets = s.getStratified().getNumericBuckets();
                v.check(buckets < 0 || buckets > 100, field + ".stratified.numeric_buckets",
                        "must be from 0 (meaning 5) to 100 (was " + buckets + ")");
            }
            case BORDERLINE -> {
                var b = s.getBorderline();
                v.check(b.getUpper() < b.getLower(), field + ".borderline.upper",
                        "must be at least lower (" + b.getLower() + ") (was " + b.getUpper() + ")");
                v.check(b.getRate() < 0 || b.getRate() > 1, field + ".borderline.rate",
                        "must be in (0, 1], or 0 meaning 1 (was " + b.getRate() + ")");
            }
            case ALL, MANUAL -> {
            }
        }
    }

    static void matchers(List<AttributeMatcher> matchers, Violations v) {
        for (int i = 0; i < matchers.size(); i++) {
            AttributeMatcher m = matchers.get(i);
            String field = "matchers[" + i + "]";
            v.check(m.getKey().isEmpty() || m.getKey().length() > 256, field + ".key", "must be 1-256 characters");
            switch (m.getOperator()) {
                case OPERATOR_UNSPECIFIED, UNRECOGNIZED -> v.add(field + ".operator", "is required");
                case OPERATOR_REGEX -> {
                    try {
                        Pattern.compile(m.getValue());
                    } catch (PatternSyntaxException e) {
                        v.add(field + ".value", "is not a valid regular expression: " + e.getDescription());
                    }
                }
                case OPERATOR_EQUALS, OPERATOR_NOT_EQUALS, OPERATOR_PREFIX ->
                        v.check(m.getValue().isEmpty(), field + ".value", "is required for " + m.getOperator());
                default -> {
                }
            }
        }
    }
}
