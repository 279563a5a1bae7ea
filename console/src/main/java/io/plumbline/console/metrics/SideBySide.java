package io.plumbline.console.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * A unified diff (as the registry returns it) laid out side by side: removed lines on the left, added lines on the
 * right, a run of removals paired with the run of additions that replaces it, unchanged lines on both sides.
 */
public record SideBySide(List<Row> rows) {

    /** One line of the table; {@code kind} is {@code same}, {@code change} or {@code head} (a hunk header). */
    public record Row(String left, String right, String kind) {
        public String leftClass() {
            return kind.equals("change") && left != null ? "del" : kind.equals("head") ? "head" : "";
        }

        public String rightClass() {
            return kind.equals("change") && right != null ? "add" : kind.equals("head") ? "head" : "";
        }
    }

    public static SideBySide of(String unifiedDiff) {
        List<Row> rows = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (String line : unifiedDiff.split("\n", -1)) {
            if (line.startsWith("---") || line.startsWith("+++")) {
                continue;
            }
            if (line.startsWith("-")) {
                removed.add(line.substring(1));
            } else if (line.startsWith("+")) {
                added.add(line.substring(1));
            } else {
                flush(rows, removed, added);
                if (line.startsWith("@@")) {
                    rows.add(new Row(line, line, "head"));
                } else if (!line.isEmpty() || !rows.isEmpty()) {
                    String text = line.startsWith(" ") ? line.substring(1) : line;
                    rows.add(new Row(text, text, "same"));
                }
            }
        }
        flush(rows, removed, added);
        return new SideBySide(rows);
    }

    public boolean empty() {
        return rows.stream().noneMatch(r -> r.kind().equals("change"));
    }

    private static void flush(List<Row> rows, List<String> removed, List<String> added) {
        for (int i = 0; i < Math.max(removed.size(), added.size()); i++) {
            rows.add(new Row(i < removed.size() ? removed.get(i) : null, i < added.size() ? added.get(i) : null, "change"));
        }
        removed.clear();
        added.clear();
    }
}
