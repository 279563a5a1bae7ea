package io.plumbline.console.view;

/**
 * Long text folded for reading: the head is shown, the rest sits behind a "show all" disclosure. Split at a line or
 * word boundary near the limit so that no word is cut.
 */
public record Text(String head, String rest, int length) {

    static final int FOLD_AT = 1200;

    public static Text of(String text) {
        String t = text == null ? "" : text;
        if (t.length() <= FOLD_AT + 200) {
            return new Text(t, "", t.length());
        }
        int cut = t.lastIndexOf('\n', FOLD_AT);
        if (cut < FOLD_AT / 2) {
            cut = t.lastIndexOf(' ', FOLD_AT);
        }
        if (cut < FOLD_AT / 2) {
            cut = FOLD_AT;
        }
        return new Text(t.substring(0, cut), t.substring(cut), t.length());
    }

    public boolean folded() {
        return !rest.isEmpty();
    }

    public boolean empty() {
        return length == 0;
    }
}
