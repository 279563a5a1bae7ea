package io.plumbline.common.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.common.stats.JudgeExpertAgreement.Pair;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.CategoricalType;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.PercentageType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Figures checked against hand computation. */
class JudgeExpertAgreementTest {

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();

    @Test
    void booleanAccuracyKappaRatesAndMatrixMatchAHandComputedTable() {
        // expert true: judge true 20, judge false 5; expert false: judge true 10, judge false 15 (n = 50)
        List<Pair> pairs = new ArrayList<>();
        add(pairs, 20, true, true);
        add(pairs, 5, false, true);
        add(pairs, 10, true, false);
        add(pairs, 15, false, false);
        var stats = JudgeExpertAgreement.of(BOOLEAN, pairs, 0, 0.95);

        assertEquals(50, stats.getN());
        assertEquals(15, stats.getDisagreements());
        assertEquals(0.70, stats.getAccuracy().getValue(), 1e-12);
        // po = 0.7; pe = (25*30 + 25*20) / 2500 = 0.5; kappa = 0.2 / 0.5 = 0.4
        assertEquals(0.4, stats.getCohenKappa().getValue(), 1e-12);
        // se = sqrt(0.7 * 0.3 / (50 * 0.25)) = 0.12961; 95% CI = 0.4 -/+ 1.95996 * 0.12961
        assertEquals(0.4 - 1.959964 * 0.129615, stats.getCohenKappa().getCi().getLower(), 1e-4);
        assertEquals(0.8, stats.getTruePositiveRate().getValue(), 1e-12);
        assertEquals(0.6, stats.getTrueNegativeRate().getValue(), 1e-12);
        assertEquals(List.of(20L, 5L), stats.getConfusionMatrix().getRows(0).getJudgeCountsList());
        assertEquals(List.of(10L, 15L), stats.getConfusionMatrix().getRows(1).getJudgeCountsList());
        // Wilson 95% for 35/50: center (0.7 + z^2/100) / (1 + z^2/50) = 0.68573, half width 0.12324
        assertEquals(0.5625, stats.getAccuracy().getCi().getLower(), 1e-4);
        assertEquals(0.8090, stats.getAccuracy().getCi().getUpper(), 1e-4);
    }

    @Test
    void perfectAgreementHasKappaOneAndChanceLevelHasKappaZero() {
        List<Pair> perfect = new ArrayList<>();
        add(perfect, 10, true, true);
        add(perfect, 10, false, false);
        assertEquals(1.0, JudgeExpertAgreement.of(BOOLEAN, perfect, 0, 0.95).getCohenKappa().getValue(), 1e-12);

        List<Pair> chance = new ArrayList<>();
        add(chance, 10, true, true);
        add(chance, 10, false, true);
        add(chance, 10, true, false);
        add(chance, 10, false, false);
        assertEquals(0.0, JudgeExpertAgreement.of(BOOLEAN, chance, 0, 0.95).getCohenKappa().getValue(), 1e-12);
    }

    @Test
    void kappaIsUndefinedWhenOneValueIsUsedThroughout() {
        List<Pair> constant = new ArrayList<>();
        add(constant, 8, true, true);
        var stats = JudgeExpertAgreement.of(BOOLEAN, constant, 0, 0.95);
        assertFalse(stats.getCohenKappa().getDefined());
        assertFalse(stats.getTrueNegativeRate().getDefined(), "no expert negatives");
        assertTrue(stats.getAccuracy().getDefined());
    }

    @Test
    void categoricalMatrixFollowsTheMetricsLabelOrder() {
        OutputType tone = OutputType.newBuilder().setCategorical(CategoricalType.newBuilder()
                .addLabels("friendly").addLabels("neutral").addLabels("rude")).build();
        var stats = JudgeExpertAgreement.of(tone, List.of(
                new Pair(label("rude"), label("neutral")),
                new Pair(label("neutral"), label("neutral")),
                new Pair(label("friendly"), label("friendly")),
                new Pair(label("shouting"), label("rude"))), 0, 0.95);
        assertEquals(3, stats.getN(), "a value outside the labels is left out");
        assertEquals(List.of(0L, 1L, 1L), stats.getConfusionMatrix().getRows(1).getJudgeCountsList());
        assertEquals(2.0 / 3, stats.getAccuracy().getValue(), 1e-12);
    }

    @Test
    void numericUsesMeanAbsoluteErrorAndTheWithinDeltaRate() {
        OutputType percentage = OutputType.newBuilder().setPercentage(PercentageType.getDefaultInstance()).build();
        var stats = JudgeExpertAgreement.of(percentage, List.of(
                new Pair(pct(60), pct(60)), new Pair(pct(60), pct(70)), new Pair(pct(60), pct(90)),
                new Pair(pct(50), pct(30))), 10, 0.95);
        // errors 0, 10, 30, 20: MAE 15, sd = sqrt(((15)^2 + 5^2 + 15^2 + 5^2) / 3) = 12.9099; within 10: 2 of 4
        assertEquals(15.0, stats.getMeanAbsoluteError().getValue(), 1e-12);
        assertEquals(0.5, stats.getWithinDeltaRate().getValue(), 1e-12);
        assertEquals(2, stats.getDisagreements());
        // t(0.975, 3) = 3.1824; half width = 3.1824 * 12.9099 / 2 = 20.542
        assertEquals(15 - 20.542, stats.getMeanAbsoluteError().getCi().getLower(), 0.01);
    }

    @Test
    void quantilesMatchTables() {
        assertEquals(1.959964, ConfidenceIntervals.normalQuantile(0.975), 1e-6);
        assertEquals(-2.326348, ConfidenceIntervals.normalQuantile(0.01), 1e-6);
        assertEquals(12.7062, ConfidenceIntervals.studentTQuantile(0.975, 1), 1e-4);
        assertEquals(4.3027, ConfidenceIntervals.studentTQuantile(0.975, 2), 1e-4);
        assertEquals(3.1824, ConfidenceIntervals.studentTQuantile(0.975, 3), 1e-4);
        assertEquals(2.2281, ConfidenceIntervals.studentTQuantile(0.975, 10), 1e-4);
        assertEquals(2.0423, ConfidenceIntervals.studentTQuantile(0.975, 30), 1e-4);
        assertEquals(-2.7638, ConfidenceIntervals.studentTQuantile(0.01, 10), 1e-4);
    }

    private static void add(List<Pair> pairs, int count, boolean judge, boolean expert) {
        for (int i = 0; i < count; i++) {
            pairs.add(new Pair(MetricValue.newBuilder().setBoolean(judge).build(),
                    MetricValue.newBuilder().setBoolean(expert).build()));
        }
    }

    private static MetricValue label(String label) {
        return MetricValue.newBuilder().setCategorical(label).build();
    }

    private static MetricValue pct(double p) {
        return MetricValue.newBuilder().setPercentage(p).build();
    }
}
