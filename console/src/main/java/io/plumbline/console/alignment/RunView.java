package io.plumbline.console.alignment;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import io.plumbline.console.metrics.SideBySide;
import io.plumbline.console.view.Values;
import io.plumbline.proto.alignment.v1.AgreementStats;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.Estimate;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.VersionContent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** An alignment run as its pages show it: status and phase while it runs, the candidate and the report after. */
public record RunView(
        String id,
        String metricId,
        String metricName,
        boolean builtin,
        int baseVersion,
        String status,
        String phase,
        int percent,
        String progressMessage,
        boolean active,
        boolean finished,
        boolean aligned,
        boolean decided,
        String decision,
        String trigger,
        String startedBy,
        String created,
        long annotationsLoaded,
        long disagreementsFound,
        long agreeingRowsSkipped,
        long trainSize,
        long holdoutSize,
        boolean nothingToLearn,
        String error,
        List<GuidelineRow> guidelines,
        List<ExampleRow> examples,
        Report report,
        SideBySide promptDiff,
        List<UsageRow> usage) {

    public record GuidelineRow(String text, List<String> sources) {
    }

    public record ExampleRow(String output, String expected, String critique) {
    }

    public record UsageRow(String phase, long calls, long promptTokens, long completionTokens, String duration) {
    }

    public record RegressionRow(String annotationId, String expert, String oldValue, String newValue, String newReasoning) {
    }

    public record Report(boolean present, String baseAgreement, String candidateAgreement, String baseKappa,
                         String candidateKappa, String lift, String liftInterval, long improved, long regressed,
                         boolean significantRegression, String regressionDetail, boolean lowConfidence,
                         long reusedBaseEvaluations, List<RegressionRow> regressions) {
    }

    public String baseLabel() {
        return "v" + baseVersion;
    }

    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    static RunView of(AlignmentRun run, MetricVersion base) {
        var counts = run.getCounts();
        boolean finished = switch (run.getStatus()) {
            case STATUS_ALIGNED, STATUS_ERROR, STATUS_CANCELLED -> true;
            default -> false;
        };
        String decision = "";
        if (run.hasDecision()) {
            var d = run.getDecision();
            decision = switch (d.getKind()) {
                case KIND_ACCEPTED -> "Accepted by " + d.getDecidedBy() + " as version " + d.getCreatedVersion().getVersion()
                        + (d.getForked() ? " of a fork" : "") + (d.getPublished() ? ", published" : "");
                case KIND_AUTO_PUBLISHED -> "Published automatically as version " + d.getCreatedVersion().getVersion();
                case KIND_DISCARDED -> "Discarded by " + d.getDecidedBy() + (d.getNote().isBlank() ? "" : ": " + d.getNote());
                default -> "";
            };
        }
        String error = run.hasError() ? run.getError().getMessage() : "";
        VersionContent candidate = run.getCandidate();
        List<GuidelineRow> guidelines = candidate.getGuidelinesList().stream()
                .map(g -> new GuidelineRow(g.getText(), g.getSourceAnnotationIdsList())).toList();
        List<ExampleRow> examples = candidate.getExamplesList().stream()
                .map(e -> new ExampleRow(e.getOutput(), Values.format(e.getExpectedValue()), e.getCritique())).toList();
        SideBySide diff = run.hasCandidate() && base != null ? SideBySide.of(unifiedDiff(text(base.getPromptTemplate(),
                base.getGuidelinesList().stream().map(g -> g.getText()).toList()),
                text(candidate.getPromptTemplate().isBlank() ? base.getPromptTemplate() : candidate.getPromptTemplate(),
                        candidate.getGuidelinesList().stream().map(g -> g.getText()).toList())))
                : SideBySide.of("");
        List<UsageRow> usage = run.getUsageList().stream().map(u -> new UsageRow(phase(u.getPhase()), u.getLlmCalls(),
                u.getPromptTokens(), u.getCompletionTokens(),
                String.format(Locale.ROOT, "%.1f s", u.getDuration().getSeconds() + u.getDuration().getNanos() / 1e9))).toList();
        return new RunView(run.getId(), run.getMetricId(), run.getMetricName(), run.getBuiltinMetric(), run.getBaseVersion(),
                run.getStatus().name().replace("STATUS_", "").toLowerCase(), phase(run.getPhase()),
                (int) Math.round(100 * run.getProgress().getFraction()), run.getProgress().getMessage(), !finished, finished,
                run.getStatus() == AlignmentRun.Status.STATUS_ALIGNED, run.hasDecision(), decision,
                run.getTrigger() == AlignmentRun.Trigger.TRIGGER_POLICY ? "policy" : "manual", run.getStartedBy(),
                WHEN.format(Instant.ofEpochSecond(run.getCreateTime().getSeconds())), counts.getAnnotationsLoaded(),
                counts.getDisagreementsFound(), counts.getAgreeingRowsSkipped(), counts.getTrainSize(),
                counts.getHoldoutSize(), run.getNothingToLearn(), error, guidelines, examples, report(run), diff, usage);
    }

    private static Report report(AlignmentRun run) {
        if (!run.hasValidation()) {
            return new Report(false, "", "", "", "", "", "", 0, 0, false, "", false, 0, List.of());
        }
        var v = run.getValidation();
        List<RegressionRow> regressions = v.getRegressionsList().stream().map(r -> new RegressionRow(r.getAnnotationId(),
                Values.format(r.getExpertValue()), Values.format(r.getOldValue()), Values.format(r.getNewValue()),
                r.getNewReasoning())).toList();
        String interval = v.hasLiftCi() ? String.format(Locale.ROOT, "%+.1f to %+.1f points (%.0f%%)",
                v.getLiftCi().getLower(), v.getLiftCi().getUpper(), 100 * v.getLiftCi().getLevel()) : "";
        return new Report(true, percent(v.getBase()), percent(v.getCandidate()), kappa(v.getBase()),
                kappa(v.getCandidate()), String.format(Locale.ROOT, "%+.1f points", v.getLiftPoints()), interval,
                v.getImproved(), v.getRegressed(), v.getSignificantRegression(), v.getRegressionDetail(),
                v.getLowConfidence(), v.getReusedBaseEvaluations(), regressions);
    }

    private static String percent(AgreementStats stats) {
        Estimate a = stats.getAccuracy();
        if (!a.getDefined()) {
            return "—";
        }
        String ci = a.hasCi() ? String.format(Locale.ROOT, " (%.0f–%.0f%%)", 100 * a.getCi().getLower(), 100 * a.getCi().getUpper()) : "";
        return String.format(Locale.ROOT, "%.1f%%%s, n=%d", 100 * a.getValue(), ci, stats.getN());
    }

    private static String kappa(AgreementStats stats) {
        return stats.getCohenKappa().getDefined() ? String.format(Locale.ROOT, "%.2f", stats.getCohenKappa().getValue()) : "—";
    }

    static String phase(AlignmentRun.Phase phase) {
        return switch (phase) {
            case PHASE_LOADING_ANNOTATIONS -> "loading annotations";
            case PHASE_BUILDING_DISAGREEMENT_TRACES -> "building disagreement traces";
            case PHASE_DISTILLING_GUIDELINES -> "distilling guidelines";
            case PHASE_VALIDATING -> "validating";
            case PHASE_FINALIZING -> "finalizing";
            default -> "";
        };
    }

    private static List<String> text(String prompt, List<String> guidelines) {
        List<String> lines = new ArrayList<>(Arrays.asList(prompt.split("\n", -1)));
        lines.add("");
        lines.add("Guidelines:");
        guidelines.forEach(g -> lines.add("- " + g));
        return lines;
    }

    private static String unifiedDiff(List<String> base, List<String> candidate) {
        var patch = DiffUtils.diff(base, candidate);
        return String.join("\n", UnifiedDiffUtils.generateUnifiedDiff("base", "candidate", base, patch, 3));
    }
}
