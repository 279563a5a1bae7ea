package io.plumbline.judge.normalize;

import java.util.ArrayList;
import java.util.List;

/**
 * An attribute key with index placeholders, as conventions flatten lists: {@code llm.input_messages.{n}.message.role}
 * matches {@code llm.input_messages.3.message.role} with the index 3. Matching walks the key once, without regular
 * expressions or splitting.
 */
final class KeyPattern {

    private final String template;
    /** Literal parts; a null entry is an index placeholder. */
    private final List<String> parts;
    private final int indexes;

    private KeyPattern(String template, List<String> parts, int indexes) {
        this.template = template;
        this.parts = parts;
        this.indexes = indexes;
    }

    static KeyPattern of(String template) {
        List<String> parts = new ArrayList<>();
        int indexes = 0;
        int pos = 0;
        while (pos < template.length()) {
            int open = template.indexOf('{', pos);
            if (open < 0) {
                parts.add(template.substring(pos));
                break;
            }
            if (open > pos) {
                parts.add(template.substring(pos, open));
            }
            parts.add(null);
            indexes++;
            pos = template.indexOf('}', open) + 1;
        }
        return new KeyPattern(template, java.util.Collections.unmodifiableList(parts), indexes);
    }

    /** True for a key without placeholders. */
    boolean isExact() {
        return indexes == 0;
    }

    String template() {
        return template;
    }

    /** The literal text before the first placeholder (the whole key when exact). */
    String prefix() {
        String first = parts.get(0);
        return first == null ? "" : first;
    }

    /** The indexes of {@code key} in placeholder order, or null when it does not match. */
    int[] match(String key) {
        int[] found = new int[indexes];
        int pos = 0;
        int slot = 0;
        for (String part : parts) {
            if (part != null) {
                if (!key.startsWith(part, pos)) {
                    return null;
                }
                pos += part.length();
            } else {
                int start = pos;
                int value = 0;
                while (pos < key.length() && Character.isDigit(key.charAt(pos)) && pos - start < 9) {
                    value = value * 10 + (key.charAt(pos) - '0');
                    pos++;
                }
                if (pos == start) {
                    return null;
                }
                found[slot++] = value;
            }
        }
        return pos == key.length() ? found : null;
    }

    @Override
    public String toString() {
        return template;
    }
}
