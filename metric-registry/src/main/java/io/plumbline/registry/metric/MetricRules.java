package io.plumbline.registry.metric;

import io.plumbline.common.api.Violations;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.common.metric.PromptTemplate;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.FewShotExample;
import io.plumbline.proto.registry.v1.Guideline;
import io.plumbline.proto.registry.v1.VersionContent;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The rules a metric's settings and versions must keep; each broken rule is reported with its field. */
public final class MetricRules {

    public static final Pattern PROJECT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    public static final Pattern METRIC_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    public static final int MAX_DESCRIPTION = 2000;
    public static final int MAX_TEMPLATE = 50_000;
    public static final int MAX_GUIDELINES = 100;
    public static final int MAX_GUIDELINE = 2000;
    public static final int MAX_EXAMPLES = 50;
    public static final int MAX_EXAMPLE_TEXT = 20_000;
    public static final int MAX_CRITIQUE = 4000;
    public static final int MAX_CHANGE_NOTE = 2000;
    public static final int MAX_BINDINGS = 20;
    public static final int MAX_MATCHERS = 20;

    private MetricRules() {
    }

    public static void projectId(String projectId, Violations v) {
        v.check(!PROJECT_ID.matcher(projectId).matches(), "project_id",
                "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (was \"" + projectId + "\")");
    }

    public static void name(String name, String field, Violations v) {
        v.check(!METRIC_NAME.matcher(name).matches(), field,
                "must be 1-64 lower-case letters, digits, '_' or '-', starting with a letter (was \"" + name + "\")");
    }

    public static void level(Level level, Violations v) {
        v.check(level == Level.LEVEL_UNSPECIFIED || level == Level.UNRECOGNIZED, "level",
                "is required: LEVEL_SPAN, LEVEL_TRACE or LEVEL_SESSION");
    }

    public static void model(ModelConfig model, String field, Violations v) {
        v.requireText(model.getProvider(), field + ".provider", 64);
        v.requireText(model.getModel(), field + ".model", 256);
        if (model.hasTemperature()) {
            v.check(model.getTemperature() < 0 || model.getTemperature() > 2, field + ".temperature",
                    "must be from 0 to 2 (was " + model.getTemperature() + ")");
        }
        if (model.hasMaxOutputTokens()) {
            v.check(model.getMaxOutputTokens() < 1 || model.getMaxOutputTokens() > 100_000, field + ".max_output_tokens",
                    "must be from 1 to 100000 (was " + model.getMaxOutputTokens() + ")");
        }
    }

    /** The judge-service's usage ledger (ListBudgetUsage) counts these under the metric beside its bindings. */
    static final Set<String> RESERVED_BINDING_NAMES = Set.of("ad-hoc", "recompute");

    public static void bindings(List<Binding> bindings, Violations v) {
        v.check(bindings.size() > MAX_BINDINGS, "bindings", "must hold at most " + MAX_BINDINGS + " bindings");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < bindings.size(); i++) {
            Binding b = bindings.get(i);
            String field = "bindings[" + i + "]";
            v.requireText(b.getName(), field + ".name", 64);
            v.check(!b.getName().isBlank() && !names.add(b.getName()), field + ".name",
                    "repeats the binding name \"" + b.getName() + "\"");
            v.check(RESERVED_BINDING_NAMES.contains(b.getName()), field + ".name", "\"" + b.getName()
                    + "\" is reserved: the judge-service counts ad-hoc calls and recompute jobs under it");
            v.check(b.getSamplingRate() < 0 || b.getSamplingRate() > 1, field + ".sampling_rate",
                    "must be from 0 to 1 (was " + b.getSamplingRate() + ")");
            v.check(b.getDailyTokenBudget() < 0, field + ".daily_token_budget",
                    "must be 0 (unlimited) or more (was " + b.getDailyTokenBudget() + ")");
            v.check(b.getMatchersCount() > MAX_MATCHERS, field + ".matchers", "must hold at most " + MAX_MATCHERS + " matchers");
            for (int m = 0; m < b.getMatchersCount(); m++) {
                matcher(b.getMatchers(m), field + ".matchers[" + m + "]", v);
            }
            v.limitText(b.getInputAttribute(), field + ".input_attribute", 256);
            v.limitText(b.getOutputAttribute(), field + ".output_attribute", 256);
            v.limitText(b.getContextAttribute(), field + ".context_attribute", 256);
        }
    }

    private static void matcher(AttributeMatcher m, String field, Violations v) {
        v.requireText(m.getKey(), field + ".key", 256);
        switch (m.getOperator()) {
            case OPERATOR_UNSPECIFIED, UNRECOGNIZED -> v.add(field + ".operator",
                    "is required: EQUALS, NOT_EQUALS, EXISTS, NOT_EXISTS, PREFIX or REGEX");
            case OPERATOR_EQUALS, OPERATOR_NOT_EQUALS, OPERATOR_PREFIX ->
                    v.check(m.getValue().isEmpty(), field + ".value", "is required for " + m.getOperator());
            case OPERATOR_REGEX -> {
                if (!v.check(m.getValue().isEmpty(), field + ".value", "is required for OPERATOR_REGEX")) {
                    try {
                        Pattern.compile(m.getValue());
                    } catch (PatternSyntaxException e) {
                        v.add(field + ".value", "is not a valid regular expression: " + e.getDescription());
                    }
                }
            }
            case OPERATOR_EXISTS, OPERATOR_NOT_EXISTS -> {
            }
        }
    }

    public static void alignmentPolicy(AlignmentPolicy p, Violations v) {
        v.check(p.getMode() == AlignmentPolicy.Mode.UNRECOGNIZED, "alignment_policy.mode", "is not a known mode");
        v.check(p.getDisagreementThreshold() < 0, "alignment_policy.disagreement_threshold",
                "must be 1 or more (0 means the default, 10)");
        v.check(p.getMinLiftPoints() < 0 || p.getMinLiftPoints() > 100, "alignment_policy.min_lift_points",
                "must be from 0 to 100 percentage points");
        v.check(p.getDeltaThreshold() < 0, "alignment_policy.delta_threshold", "must be 0 or more");
        v.check(p.hasCooldown() && (p.getCooldown().getSeconds() < 0 || p.getCooldown().getNanos() < 0),
                "alignment_policy.cooldown", "must not be negative");
    }

    /** The policy with defaults filled in: OFF, 10 disagreements, 5 points. */
    public static AlignmentPolicy withDefaults(AlignmentPolicy p) {
        var b = p.toBuilder();
        if (p.getMode() == AlignmentPolicy.Mode.MODE_UNSPECIFIED) {
            b.setMode(AlignmentPolicy.Mode.MODE_OFF);
        }
        if (p.getDisagreementThreshold() == 0) {
            b.setDisagreementThreshold(10);
        }
        if (p.getMinLiftPoints() == 0) {
            b.setMinLiftPoints(5);
        }
        return b.build();
    }

    /** Bindings with defaults filled in: a sampling rate of 0 means every record. */
    public static List<Binding> withDefaults(List<Binding> bindings) {
        return bindings.stream()
                .map(b -> b.getSamplingRate() == 0 ? b.toBuilder().setSamplingRate(1).build() : b)
                .toList();
    }

    public static void author(Author author, String field, Violations v) {
        switch (author.getKindCase()) {
            case USER -> v.requireText(author.getUser(), field + ".user", 256);
            case ALIGNMENT_RUN_ID -> v.requireText(author.getAlignmentRunId(), field + ".alignment_run_id", 64);
            case KIND_NOT_SET -> v.add(field, "is required: a user or an alignment_run_id");
        }
    }

    public static void changeNote(String note, String field, Violations v) {
        v.requireText(note, field, MAX_CHANGE_NOTE);
    }

    /** Checks a version's content against the metric's output type. */
    public static void content(VersionContent content, OutputType outputType, String field, Violations v) {
        String template = content.getPromptTemplate();
        if (!v.check(template.isBlank(), field + ".prompt_template", "is required")) {
            if (!v.check(template.length() > MAX_TEMPLATE, field + ".prompt_template",
                    "must be at most " + MAX_TEMPLATE + " characters (was " + template.length() + ")")) {
                try {
                    PromptTemplate.parse(template);
                } catch (PromptTemplate.InvalidTemplate e) {
                    v.add(field + ".prompt_template", e.getMessage());
                }
            }
        }
        v.check(content.getGuidelinesCount() > MAX_GUIDELINES, field + ".guidelines",
                "must hold at most " + MAX_GUIDELINES + " guidelines (has " + content.getGuidelinesCount() + ")");
        for (int i = 0; i < content.getGuidelinesCount(); i++) {
            Guideline g = content.getGuidelines(i);
            v.requireText(g.getText(), field + ".guidelines[" + i + "].text", MAX_GUIDELINE);
        }
        v.check(content.getExamplesCount() > MAX_EXAMPLES, field + ".examples",
                "must hold at most " + MAX_EXAMPLES + " examples (has " + content.getExamplesCount() + ")");
        for (int i = 0; i < content.getExamplesCount(); i++) {
            FewShotExample e = content.getExamples(i);
            String ef = field + ".examples[" + i + "]";
            v.check(e.getInput().isBlank() && e.getOutput().isBlank(), ef, "needs an input or an output");
            v.limitText(e.getInput(), ef + ".input", MAX_EXAMPLE_TEXT);
            v.limitText(e.getOutput(), ef + ".output", MAX_EXAMPLE_TEXT);
            v.limitText(e.getContext(), ef + ".context", MAX_EXAMPLE_TEXT);
            v.requireText(e.getCritique(), ef + ".critique", MAX_CRITIQUE);
            String wrongValue = OutputTypes.violation(outputType, e.getExpectedValue());
            if (wrongValue != null) {
                v.add(ef + ".expected_value", wrongValue);
            }
        }
    }
}
