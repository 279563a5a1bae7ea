package io.plumbline.console;

import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.results.Rule;
import com.deque.html.axecore.selenium.AxeBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.openqa.selenium.WebDriver;

/**
 * An accessibility audit of the page the browser shows: axe-core (the copy bundled in Deque's axe-core Selenium jar)
 * runs inside Chromium against WCAG 2.2 A and AA and axe's best practices. Every finding is written to
 * {@code target/axe/<page>.txt}; a serious or critical one fails the test.
 */
final class Accessibility {

    static final Path REPORTS = Path.of("target", "axe");
    static final List<String> TAGS = List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice");
    static final Set<String> BLOCKING = Set.of("serious", "critical");

    private Accessibility() {
    }

    /** Audits the current page as {@code page}; throws {@link AssertionError} listing serious and critical findings. */
    static void audit(WebDriver driver, String page) {
        Results results = new AxeBuilder().withTags(TAGS).analyze(driver);
        if (results.isErrored()) {
            throw new AssertionError("axe-core could not audit " + page + ": " + results.getErrorMessage());
        }
        List<Rule> violations = results.getViolations();
        write(page, results.getUrl() + "\n" + results.getPasses().size() + " rules passed, "
                + results.getIncomplete().size() + " need a person to check, " + violations.size() + " violated\n"
                + (results.getIncomplete().isEmpty() ? "" : "For a person to check:\n" + describe(results.getIncomplete())),
                violations);
        List<Rule> blocking = violations.stream().filter(rule -> BLOCKING.contains(rule.getImpact())).toList();
        if (!blocking.isEmpty()) {
            throw new AssertionError("Accessibility audit of " + page + " (" + results.getUrl() + "): "
                    + blocking.size() + " serious or critical finding(s):\n" + describe(blocking));
        }
    }

    private static void write(String page, String summary, List<Rule> violations) {
        try {
            Files.createDirectories(REPORTS);
            Files.writeString(REPORTS.resolve(page + ".txt"), summary + "\n"
                    + (violations.isEmpty() ? "No violation.\n" : "Violations:\n" + describe(violations)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(List<Rule> rules) {
        return rules.stream().map(rule -> "- [" + rule.getImpact() + "] " + rule.getId() + ": " + rule.getHelp() + "\n"
                + rule.getNodes().stream().map(node -> "    " + node.getTarget() + " " + node.getHtml() + "\n      "
                        + String.valueOf(node.getFailureSummary()).replace("\n", "\n      "))
                        .collect(Collectors.joining("\n")))
                .collect(Collectors.joining("\n")) + "\n";
    }
}
