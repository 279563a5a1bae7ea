package io.plumbline.common.stats;

import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.alignment.v1.AgreementStats;
import io.plumbline.proto.alignment.v1.ConfusionMatrix;
import io.plumbline.proto.alignment.v1.ConfusionRow;
import io.plumbline.proto.alignment.v1.Estimate;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import java.util.List;

/**
 * How well a judge agrees with the experts on a set of (judge value, expert value) pairs of one metric: accuracy and
 * Cohen's kappa for every categorical-like type, true-positive and true-negative rates for booleans, a confusion matrix
 * (rows: the expert's value, columns: the judge's), and for numeric types the mean absolute error and the within-delta
 * rate. Every figure comes with its n and a confidence interval (see {@link ConfidenceIntervals}).
 */
public final class JudgeExpertAgreement {

    private JudgeExpertAgreement() {
    }

    /** One labelled judgment. */
    public record Pair(MetricValue judge, MetricValue expert) {
    }

    /** The statistics of {@code pairs}; pairs whose values do not fit {@code type} are left out. */
    public static AgreementStats of(OutputType type, List<Pair> pairs, double deltaThreshold, double level) {
        List<Pair> valid = pairs.stream()
                .filter(p -> OutputTypes.violation(type, p.judge()) == null && OutputTypes.violation(type, p.expert()) == null)
                .toList();
        return OutputTypes.isNumeric(type) ? numeric(valid, deltaThreshold, level) : categorical(type, valid, level);
    }

    private static AgreementStats categorical(OutputType type, List<Pair> pairs, double level) {
        List<String> labels = type.hasBoolean() ? List.of("true", "false") : type.getCategorical().getLabelsList();
        int k = labels.size();
        long[][] counts = new long[k][k];
        for (Pair p : pairs) {
            counts[labels.indexOf(OutputTypes.format(p.expert()))][labels.indexOf(OutputTypes.format(p.judge()))]++;
        }
        long n = pairs.size();
        long agree = 0;
        for (int i = 0; i < k; i++) {
            agree += counts[i][i];
        }
        var stats = AgreementStats.newBuilder()
                .setN(n)
                .setDisagreements(n - agree)
                .setAccuracy(rate(agree, n, level))
                .setCohenKappa(cohenKappa(counts, n, level))
                .setConfusionMatrix(matrix(labels, counts));
        if (type.hasBoolean()) {
            stats.setTruePositiveRate(rate(counts[0][0], counts[0][0] + counts[0][1], level));
            stats.setTrueNegativeRate(rate(counts[1][1], counts[1][0] + counts[1][1], level));
        }
        return stats.build();
    }

    private static AgreementStats numeric(List<Pair> pairs, double deltaThreshold, double level) {
        long n = pairs.size();
        double[] errors = pairs.stream().mapToDouble(p ->
                Math.abs(OutputTypes.numeric(p.judge()).orElseThrow() - OutputTypes.numeric(p.expert()).orElseThrow()))
                .toArray();
        long within = java.util.Arrays.stream(errors).filter(e -> e <= deltaThreshold).count();
        Estimate withinDelta = rate(within, n, level);
        return AgreementStats.newBuilder()
                .setN(n)
                .setDisagreements(n - within)
                .setAccuracy(withinDelta)
                .setWithinDeltaRate(withinDelta)
                .setMeanAbsoluteError(mean(errors, level))
                .build();
    }

    /** Cohen's kappa with the large-sample standard error sqrt(po(1-po) / (n(1-pe)^2)). */
    static Estimate cohenKappa(long[][] counts, long n, double level) {
        if (n == 0) {
            return undefined(0);
        }
        int k = counts.length;
        double observed = 0;
        double expected = 0;
        for (int i = 0; i < k; i++) {
            observed += counts[i][i];
            long row = 0;
            long column = 0;
            for (int j = 0; j < k; j++) {
                row += counts[i][j];
                column += counts[j][i];
            }
            expected += (double) row * column;
        }
        observed /= n;
        expected /= (double) n * n;
        if (expected >= 1) {
            return undefined(n); // one value used throughout by both: chance explains everything
        }
        double kappa = (observed - expected) / (1 - expected);
        double se = Math.sqrt(observed * (1 - observed) / (n * (1 - expected) * (1 - expected)));
        return estimate(kappa, n, ConfidenceIntervals.normal(kappa, se, level));
    }

    static Estimate rate(long successes, long n, double level) {
        if (n == 0) {
            return undefined(0);
        }
        return estimate((double) successes / n, n, ConfidenceIntervals.wilson(successes, n, level));
    }

    static Estimate mean(double[] values, double level) {
        int n = values.length;
        if (n == 0) {
            return undefined(0);
        }
        double mean = java.util.Arrays.stream(values).average().orElse(0);
        double variance = n < 2 ? 0 : java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / (n - 1);
        return estimate(mean, n, ConfidenceIntervals.studentT(mean, Math.sqrt(variance), n, level));
    }

    private static ConfusionMatrix matrix(List<String> labels, long[][] counts) {
        var matrix = ConfusionMatrix.newBuilder().addAllLabels(labels);
        for (int i = 0; i < labels.size(); i++) {
            var row = ConfusionRow.newBuilder().setExpertLabel(labels.get(i));
            for (long count : counts[i]) {
                row.addJudgeCounts(count);
            }
            matrix.addRows(row);
        }
        return matrix.build();
    }

    private static Estimate estimate(double value, long n, ConfidenceIntervals.Interval interval) {
        var estimate = Estimate.newBuilder().setValue(value).setN(n).setDefined(true);
        if (interval != null) {
            estimate.setCi(io.plumbline.proto.alignment.v1.ConfidenceInterval.newBuilder()
                    .setLower(interval.lower()).setUpper(interval.upper()).setLevel(interval.level()));
        }
        return estimate.build();
    }

    private static Estimate undefined(long n) {
        return Estimate.newBuilder().setN(n).setDefined(false).build();
    }
}
