package io.plumbline.registry.diff;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.registry.v1.DiffVersionsResponse;
import io.plumbline.proto.registry.v1.FewShotExample;
import io.plumbline.proto.registry.v1.Guideline;
import io.plumbline.proto.registry.v1.VersionContent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Unified diffs of two versions' content, part by part, as a person reviews a prompt change. */
public final class VersionDiff {

    private static final int CONTEXT_LINES = 3;

    private VersionDiff() {
    }

    public static DiffVersionsResponse between(int fromVersion, VersionContent from, int toVersion, VersionContent to) {
        String prompt = unified("prompt_template", fromVersion, toVersion,
                lines(from.getPromptTemplate()), lines(to.getPromptTemplate()));
        String guidelines = unified("guidelines", fromVersion, toVersion,
                guidelineLines(from.getGuidelinesList()), guidelineLines(to.getGuidelinesList()));
        String examples = unified("examples", fromVersion, toVersion,
                exampleLines(from.getExamplesList()), exampleLines(to.getExamplesList()));
        return DiffVersionsResponse.newBuilder()
                .setPromptTemplateDiff(prompt)
                .setGuidelinesDiff(guidelines)
                .setExamplesDiff(examples)
                .setIdentical(prompt.isEmpty() && guidelines.isEmpty() && examples.isEmpty())
                .build();
    }

    private static String unified(String part, int fromVersion, int toVersion, List<String> from, List<String> to) {
        var patch = DiffUtils.diff(from, to);
        if (patch.getDeltas().isEmpty()) {
            return "";
        }
        return String.join("\n", UnifiedDiffUtils.generateUnifiedDiff(
                "v" + fromVersion + "/" + part, "v" + toVersion + "/" + part, from, patch, CONTEXT_LINES)) + "\n";
    }

    private static List<String> guidelineLines(List<Guideline> guidelines) {
        return guidelines.stream().map(g -> "- " + g.getText().replace('\n', ' ')).toList();
    }

    private static List<String> exampleLines(List<FewShotExample> examples) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            FewShotExample e = examples.get(i);
            lines.add("Example " + (i + 1));
            lines.addAll(field("input", e.getInput()));
            lines.addAll(field("output", e.getOutput()));
            if (!e.getContext().isEmpty()) {
                lines.addAll(field("context", e.getContext()));
            }
            lines.add("  expected: " + OutputTypes.format(e.getExpectedValue()));
            lines.addAll(field("critique", e.getCritique()));
        }
        return lines;
    }

    private static List<String> field(String name, String text) {
        List<String> lines = new ArrayList<>();
        lines.add("  " + name + ":");
        lines(text).forEach(line -> lines.add("    " + line));
        return lines;
    }

    private static List<String> lines(String text) {
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n", -1));
    }
}
