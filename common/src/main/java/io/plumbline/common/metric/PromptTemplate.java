package io.plumbline.common.metric;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A judge prompt with {@code {{variable}}} placeholders. Only the documented variables are allowed, so a typo is caught
 * when a version is created rather than when a record is judged:
 * <ul>
 * <li>record content: {@code input}, {@code output}, {@code context}, {@code conversation}, {@code tool_calls},
 * {@code system_instructions};</li>
 * <li>record attributes: {@code metadata.<attribute key>};</li>
 * <li>metric content: {@code guidelines}, {@code examples}, {@code output_format}.</li>
 * </ul>
 * There is no escape for a literal {@code {{}}: judge prompts have no need of one.
 */
public final class PromptTemplate {

    /** Variables filled from the judged record. A template must use at least one of them. */
    public static final Set<String> RECORD_VARIABLES = Set.of("input", "output", "context", "conversation",
            "tool_calls", "system_instructions");
    /** Variables filled from the metric version and its output type. */
    public static final Set<String> METRIC_VARIABLES = Set.of("guidelines", "examples", "output_format");
    public static final String METADATA_PREFIX = "metadata.";

    private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_.\\-]{1,256}");

    private final List<Segment> segments;

    private PromptTemplate(List<Segment> segments) {
        this.segments = segments;
    }

    /**
     * Parses and checks a template.
     *
     * @throws InvalidTemplate naming the first problem and where it is (line and column)
     */
    public static PromptTemplate parse(String template) {
        List<Segment> segments = new ArrayList<>();
        int position = 0;
        boolean usesRecord = false;
        while (position < template.length()) {
            int open = template.indexOf("{{", position);
            if (open < 0) {
                segments.add(new Segment(template.substring(position), null));
                break;
            }
            int close = template.indexOf("}}", open + 2);
            int nextOpen = template.indexOf("{{", open + 2);
            if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
                throw new InvalidTemplate("a placeholder opened with {{ at " + where(template, open) + " is never closed with }}");
            }
            String name = template.substring(open + 2, close).strip();
            if (name.isEmpty()) {
                throw new InvalidTemplate("an empty placeholder {{}} at " + where(template, open));
            }
            if (!isKnown(name)) {
                throw new InvalidTemplate("unknown variable \"" + name + "\" at " + where(template, open)
                        + "; allowed: " + String.join(", ", allowedNames()));
            }
            usesRecord |= RECORD_VARIABLES.contains(name) || name.startsWith(METADATA_PREFIX);
            segments.add(new Segment(template.substring(position, open), null));
            segments.add(new Segment(null, name));
            position = close + 2;
        }
        if (!usesRecord) {
            throw new InvalidTemplate("uses none of the record's content: include at least one of {{input}}, {{output}}, "
                    + "{{context}}, {{conversation}}, {{tool_calls}}, {{system_instructions}} or {{metadata.<key>}}");
        }
        return new PromptTemplate(List.copyOf(segments));
    }

    /** The variables used, in order of first use. */
    public List<String> variables() {
        return segments.stream().filter(s -> s.variable() != null).map(Segment::variable).distinct().toList();
    }

    /** Renders the template; {@code values} answers each variable (an unknown or missing value renders empty). */
    public String render(Function<String, String> values) {
        StringBuilder out = new StringBuilder();
        for (Segment segment : segments) {
            if (segment.variable() == null) {
                out.append(segment.text());
            } else {
                String value = values.apply(segment.variable());
                out.append(value == null ? "" : value);
            }
        }
        return out.toString();
    }

    private static boolean isKnown(String name) {
        if (name.startsWith(METADATA_PREFIX)) {
            return METADATA_KEY.matcher(name.substring(METADATA_PREFIX.length())).matches();
        }
        return RECORD_VARIABLES.contains(name) || METRIC_VARIABLES.contains(name);
    }

    private static List<String> allowedNames() {
        List<String> names = new ArrayList<>();
        names.addAll(RECORD_VARIABLES.stream().sorted().toList());
        names.add("metadata.<key>");
        names.addAll(METRIC_VARIABLES.stream().sorted().toList());
        return names;
    }

    private static String where(String text, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return "line " + line + ", column " + (offset - lineStart + 1);
    }

    private record Segment(String text, String variable) {
    }

    /** A template that cannot be used, with the reason. */
    public static final class InvalidTemplate extends IllegalArgumentException {
        public InvalidTemplate(String message) {
            super(message);
        }
    }
}
