package io.plumbline.alignment.run;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * The train/holdout split of a run: stratified by the experts' value (each value keeps its share in both parts) and
 * seeded (the same rows, fraction and seed give the same split).
 */
public final class HoldoutSplit {

    /** The annotation ids of each part, each sorted. */
    public record Parts(List<UUID> train, List<UUID> holdout) {
    }

    private HoldoutSplit() {
    }

    /**
     * Splits {@code ids} by {@code stratum} (for example the expert's value as text): in each stratum, after a seeded
     * shuffle, {@code round(n * fraction)} rows go to the holdout, but never the only row of a stratum.
     */
    public static Parts split(List<UUID> ids, Function<UUID, String> stratum, double fraction, long seed) {
        Map<String, List<UUID>> strata = new TreeMap<>();
        ids.stream().sorted().forEach(id -> strata.computeIfAbsent(stratum.apply(id), k -> new ArrayList<>()).add(id));
        Random random = new Random(seed);
        List<UUID> train = new ArrayList<>();
        List<UUID> holdout = new ArrayList<>();
        for (List<UUID> rows : strata.values()) {
            java.util.Collections.shuffle(rows, random);
            int held = rows.size() < 2 ? 0 : (int) Math.min(rows.size() - 1, Math.round(rows.size() * fraction));
            holdout.addAll(rows.subList(0, held));
            train.addAll(rows.subList(held, rows.size()));
        }
        train.sort(Comparator.naturalOrder());
        holdout.sort(Comparator.naturalOrder());
        return new Parts(train, holdout);
    }
}
