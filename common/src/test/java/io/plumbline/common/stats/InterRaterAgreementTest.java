package io.plumbline.common.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.common.stats.InterRaterAgreement.Coefficient;
import io.plumbline.common.stats.InterRaterAgreement.Level;
import io.plumbline.common.stats.InterRaterAgreement.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each coefficient against values computed by hand (worked in the comments) or published with their data. */
class InterRaterAgreementTest {

    private static final double EXACT = 1e-9;

    private static List<Pair<String>> pairs(String... firstSecond) {
        List<Pair<String>> pairs = new ArrayList<>();
        for (String fs : firstSecond) {
            pairs.add(new Pair<>(fs.substring(0, 1), fs.substring(1)));
        }
        return pairs;
    }

    private static List<Pair<String>> times(int n, String firstSecond) {
        return Collections.nCopies(n, pairs(firstSecond).get(0));
    }

    @Test
    void cohenKappaOfTwoRatersByHand() {
        // 4 YY, 3 NN, 2 YN, 1 NY: p_o = 7/10; first says Y 6/10, second 5/10; p_e = .6*.5 + .4*.5 = .5;
        // kappa = (.7 - .5) / (1 - .5) = 0.4.
        List<Pair<String>> data = new ArrayList<>();
        data.addAll(times(4, "YY"));
        data.addAll(times(3, "NN"));
        data.addAll(times(2, "YN"));
        data.addAll(times(1, "NY"));
        Coefficient k = InterRaterAgreement.cohenKappa(data);
        assertEquals(0.4, k.value(), EXACT);
        assertEquals(10, k.n());
        assertEquals(20, k.ratings());
        assertTrue(k.defined());
    }

    @Test
    void cohenKappaIsOneForPerfectAgreementAndZeroAtChanceLevel() {
        assertEquals(1.0, InterRaterAgreement.cohenKappa(pairs("YY", "YY", "NN")).value(), EXACT);
        // p_o = 2/4; both raters say Y half the time: p_e = .5; kappa = 0.
        assertEquals(0.0, InterRaterAgreement.cohenKappa(pairs("YY", "YN", "NY", "NN")).value(), EXACT);
        // Never agreeing beyond what chance gives: p_o = 0, p_e = .5, kappa = -1.
        assertEquals(-1.0, InterRaterAgreement.cohenKappa(pairs("YN", "NY")).value(), EXACT);
    }

    @Test
    void cohenKappaIsUndefinedWhenEveryoneUsesOneValue() {
        Coefficient k = InterRaterAgreement.cohenKappa(pairs("YY", "YY"));
        assertFalse(k.defined());
        assertEquals(0, k.value());
        assertFalse(InterRaterAgreement.cohenKappa(List.<Pair<String>>of()).defined());
    }

    @Test
    void fleissKappaOfThreeRatersByHand() {
        // Units YYY, YYN, NNN: P_i = 1, (2*1)/(3*2) = 1/3, 1; mean 7/9. p_Y = 5/9, p_N = 4/9: P_e = 41/81.
        // kappa = (7/9 - 41/81) / (1 - 41/81) = 22/40 = 0.55.
        Coefficient k = InterRaterAgreement.fleissKappa(List.of(List.of("Y", "Y", "Y"), List.of("Y", "Y", "N"),
                List.of("N", "N", "N")));
        assertEquals(0.55, k.value(), EXACT);
        assertEquals(3, k.n());
        assertEquals(9, k.ratings());
    }

    @Test
    void fleissKappaOfThePublishedExampleOfFourteenRaters() {
        // Fleiss (1971) as reproduced on Wikipedia: 10 subjects, 14 raters, 5 categories; kappa = 0.210.
        int[][] table = {{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
                {7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7}};
        List<List<Integer>> units = new ArrayList<>();
        for (int[] row : table) {
            List<Integer> unit = new ArrayList<>();
            for (int category = 0; category < row.length; category++) {
                unit.addAll(Collections.nCopies(row[category], category));
            }
            units.add(unit);
        }
        assertEquals(0.210, InterRaterAgreement.fleissKappa(units).value(), 0.0005);
    }

    @Test
    void fleissKappaIsOneForPerfectAgreementAndZeroAtChanceLevel() {
        assertEquals(1.0, InterRaterAgreement.fleissKappa(List.of(List.of("a", "a"), List.of("b", "b"))).value(), EXACT);
        // Units AB, AB: every unit disagrees, P = 0; p_a = p_b = .5, P_e = .5; kappa = -1. Units AA, AB, BA, BB:
        // P = (1 + 0 + 0 + 1) / 4 = .5 = P_e: kappa = 0.
        assertEquals(0.0, InterRaterAgreement.fleissKappa(List.of(List.of("a", "a"), List.of("a", "b"),
                List.of("b", "a"), List.of("b", "b"))).value(), EXACT);
    }

    @Test
    void krippendorffsAlphaNominalByHand() {
        // Units (1,1), (2,2), (1,2): coincidences o11 = 2, o22 = 2, o12 = o21 = 1; n_1 = n_2 = 3, n = 6.
        // alpha = 1 - (n - 1) * (o12 + o21) / (n_1 n_2 + n_2 n_1) = 1 - 5 * 2 / 18 = 4/9.
        Coefficient a = InterRaterAgreement.krippendorffAlpha(List.of(List.of(1, 1), List.of(2, 2), List.of(1, 2)),
                Level.NOMINAL);
        assertEquals(4.0 / 9, a.value(), EXACT);
        assertEquals(3, a.n());
        assertEquals(6, a.ratings());
    }

    @Test
    void krippendorffsAlphaWithMissingRatingsMatchesKrippendorffsOwnExample() {
        // Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers, 12 units, missing values;
        // nominal alpha = 0.743, interval alpha = 0.849. Unit 12 has one value and is not pairable.
        Integer[][] byObserver = {
                {1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null},
                {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3},
                {null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null},
                {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null}};
        List<List<Integer>> units = new ArrayList<>();
        for (int u = 0; u < 12; u++) {
            List<Integer> unit = new ArrayList<>();
            for (Integer[] observer : byObserver) {
                if (observer[u] != null) {
                    unit.add(observer[u]);
                }
            }
            units.add(unit);
        }
        Coefficient nominal = InterRaterAgreement.krippendorffAlpha(units, Level.NOMINAL);
        assertEquals(0.743, nominal.value(), 0.0005);
        assertEquals(11, nominal.n());
        assertEquals(40, nominal.ratings());
        assertEquals(0.849, InterRaterAgreement.krippendorffAlpha(units, Level.INTERVAL).value(), 0.0005);
    }

    @Test
    void krippendorffsAlphaIntervalByHandAndItsLimits() {
        // Units (1,2), (3,3): coincidences o12 = o21 = 1, o33 = 2; n = 4; marginals n_1 = n_2 = 1, n_3 = 2.
        // Observed sum: 2 * (1-2)^2 = 2. Expected: 2 * (n_1 n_2 * 1 + n_1 n_3 * 4 + n_2 n_3 * 1) = 2 * (1 + 8 + 2) = 22.
        // alpha = 1 - 3 * 2 / 22 = 8/11.
        assertEquals(8.0 / 11, InterRaterAgreement.krippendorffAlpha(List.of(List.of(1.0, 2.0), List.of(3.0, 3.0)),
                Level.INTERVAL).value(), EXACT);
        assertEquals(1.0, InterRaterAgreement.krippendorffAlpha(List.of(List.of(10, 10), List.of(40, 40, 40)),
                Level.INTERVAL).value(), EXACT);
        assertFalse(InterRaterAgreement.krippendorffAlpha(List.of(List.of("x", "x"), List.of("x")), Level.NOMINAL)
                .defined(), "one value used by everyone");
        assertFalse(InterRaterAgreement.krippendorffAlpha(List.of(Arrays.asList("x")), Level.NOMINAL).defined());
    }
}
