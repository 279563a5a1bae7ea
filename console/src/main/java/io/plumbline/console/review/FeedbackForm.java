package io.plumbline.console.review;

import jakarta.ws.rs.FormParam;
import java.util.Arrays;
import java.util.List;

/** The review form as posted: the verdict, and for "incorrect" the expected value, critique and tags. */
public class FeedbackForm {

    @FormParam("verdict")
    public String verdict;

    @FormParam("expected")
    public String expected;

    @FormParam("critique")
    public String critique;

    /** Comma-separated failure-mode tags. */
    @FormParam("tags")
    public String tags;

    public boolean incorrect() {
        return "incorrect".equals(verdict);
    }

    public List<String> tagList() {
        return tags == null ? List.of()
                : Arrays.stream(tags.split(",")).map(String::strip).filter(t -> !t.isEmpty()).toList();
    }

    static FeedbackForm empty() {
        return new FeedbackForm();
    }

    public String value(String s) {
        return s == null ? "" : s;
    }
}
