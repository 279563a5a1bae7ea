package io.plumbline.common.stats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Agreement between raters (reviewers) beyond chance: Cohen's kappa for two raters, Fleiss' kappa for any number, and
 * Krippendorff's alpha for any number with missing ratings, at the nominal or interval level. Plain values in, plain
 * numbers out: the services map their values (labels, booleans, numbers) onto these.
 */
public final class InterRaterAgreement {

    private InterRaterAgreement() {
    }

    /**
     * A coefficient (1 perfect agreement, 0 chance level, below 0 worse than chance) with the units and ratings it was
     * computed on; {@code defined} is false (and {@code value} 0) when it is not defined, for example when every rating
     * is the same value, which makes the expected agreement 1.
     */
    public record Coefficient(double value, long n, long ratings, boolean defined) {
        static Coefficient undefined(long n, long ratings) {
            return new Coefficient(0, n, ratings, false);
        }
    }

    /** Two raters' values on one unit. */
    public record Pair<V>(V first, V second) {
    }

    /** The level of measurement: which differences count, and how much. */
    public enum Level {
        /** Values are labels: any two different values differ by the same amount. */
        NOMINAL,
        /** Values are numbers: differences count by their square. */
        INTERVAL
    }

    /** Cohen's kappa of two raters over the units both rated: (p_o - p_e) / (1 - p_e). */
    public static <V> Coefficient cohenKappa(List<Pair<V>> pairs) {
        long n = pairs.size();
        if (n == 0) {
            return Coefficient.undefined(0, 0);
        }
        Map<V, Long> first = new HashMap<>();
        Map<V, Long> second = new HashMap<>();
        long agree = 0;
        for (Pair<V> p : pairs) {
            first.merge(p.first(), 1L, Long::sum);
            second.merge(p.second(), 1L, Long::sum);
            if (Objects.equals(p.first(), p.second())) {
                agree++;
            }
        }
        double observed = (double) agree / n;
        double expected = 0;
        for (var e : first.entrySet()) {
            expected += (e.getValue() / (double) n) * (second.getOrDefault(e.getKey(), 0L) / (double) n);
        }
        if (expected >= 1 - 1e-12) {
            return Coefficient.undefined(n, 2 * n);
        }
        return new Coefficient((observed - expected) / (1 - expected), n, 2 * n, true);
    }

    /**
     * Fleiss' kappa over units rated by two or more raters each. With different numbers of ratings per unit, each
     * unit's agreement is weighted by its ratings (equal numbers give the textbook formula); units with fewer than two
     * ratings are left out.
     */
    public static <V> Coefficient fleissKappa(List<List<V>> units) {
        long n = 0;
        long ratings = 0;
        double weightedAgreement = 0;
        Map<V, Long> perCategory = new HashMap<>();
        for (List<V> unit : units) {
            int m = unit.size();
            if (m < 2) {
                continue;
            }
            Map<V, Long> counts = new HashMap<>();
            unit.forEach(v -> counts.merge(v, 1L, Long::sum));
            double agreeingPairs = 0;
            for (long c : counts.values()) {
                agreeingPairs += c * (c - 1);
            }
            weightedAgreement += m * (agreeingPairs / ((double) m * (m - 1)));
            counts.forEach((v, c) -> perCategory.merge(v, c, Long::sum));
            n++;
            ratings += m;
        }
        if (n == 0) {
            return Coefficient.undefined(0, 0);
        }
        double observed = weightedAgreement / ratings;
        double expected = 0;
        for (long c : perCategory.values()) {
            double p = (double) c / ratings;
            expected += p * p;
        }
        if (expected >= 1 - 1e-12) {
            return Coefficient.undefined(n, ratings);
        }
        return new Coefficient((observed - expected) / (1 - expected), n, ratings, true);
    }

    /**
     * Krippendorff's alpha, 1 - D_o / D_e, from the coincidence matrix: each unit's values are paired with each other
     * (weight 1 / (m_u - 1)); units with fewer than two values (missing ratings) are not pairable and left out.
     * Nominal values are compared for equality; interval values must be {@link Number}s and differ by their square.
     */
    public static <V> Coefficient krippendorffAlpha(List<List<V>> units, Level level) {
        BiFunction<V, V, Double> delta = level == Level.NOMINAL
                ? (a, b) -> Objects.equals(a, b) ? 0.0 : 1.0
                : (a, b) -> {
                    double d = ((Number) a).doubleValue() - ((Number) b).doubleValue();
                    return d * d;
                };
        List<V> values = new ArrayList<>(new LinkedHashSet<>(units.stream().flatMap(List::stream).toList()));
        Map<V, Integer> index = new HashMap<>();
        values.forEach(v -> index.put(v, index.size()));
        int k = values.size();
        double[][] coincidences = new double[k][k];
        long n = 0;
        long pairable = 0;
        for (List<V> unit : units) {
            int m = unit.size();
            if (m < 2) {
                continue;
            }
            n++;
            pairable += m;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    if (i != j) {
                        coincidences[index.get(unit.get(i))][index.get(unit.get(j))] += 1.0 / (m - 1);
                    }
                }
            }
        }
        if (pairable < 2) {
            return Coefficient.undefined(n, pairable);
        }
        double[] marginals = new double[k];
        for (int c = 0; c < k; c++) {
            for (int d = 0; d < k; d++) {
                marginals[c] += coincidences[c][d];
            }
        }
        double observed = 0;
        double expected = 0;
        for (int c = 0; c < k; c++) {
            for (int d = 0; d < k; d++) {
                double distance = delta.apply(values.get(c), values.get(d));
                observed += coincidences[c][d] * distance;
                expected += marginals[c] * marginals[d] * distance;
            }
        }
        if (expected == 0) {
            return Coefficient.undefined(n, pairable);
        }
        return new Coefficient(1 - (pairable - 1) * observed / expected, n, pairable, true);
    }
}
