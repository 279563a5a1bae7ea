package io.plumbline.common.api;

import java.util.ArrayList;
import java.util.List;

/** Collects every rule a request breaks, so that one answer names them all. */
public final class Violations {

    private final List<ApiException.FieldViolation> found = new ArrayList<>();

    public Violations add(String field, String rule) {
        found.add(new ApiException.FieldViolation(field, rule));
        return this;
    }

    /** Adds a violation when {@code broken} holds; returns whether it did. */
    public boolean check(boolean broken, String field, String rule) {
        if (broken) {
            add(field, rule);
        }
        return broken;
    }

    public boolean isEmpty() {
        return found.isEmpty();
    }

    /** Throws an INVALID_ARGUMENT {@link ApiException} naming every violation, if there is any. */
    public void throwIfAny() {
        if (!found.isEmpty()) {
            throw ApiException.invalid(List.copyOf(found));
        }
    }

    /** Requires a non-blank text of at most {@code max} characters. */
    public void requireText(String value, String field, int max) {
        if (value == null || value.isBlank()) {
            add(field, "is required");
        } else {
            check(value.length() > max, field, "must be at most " + max + " characters (was " + value.length() + ")");
        }
    }

    /** Allows an empty text but limits its length. */
    public void limitText(String value, String field, int max) {
        check(value != null && value.length() > max, field,
                "must be at most " + max + " characters (was " + (value == null ? 0 : value.length()) + ")");
    }
}
