package io.plumbline.k8s;

import java.math.BigDecimal;
import java.util.Map;

/** Kubernetes resource quantities ("500m", "1Gi", "2") as numbers, to compare requests with limits. */
final class Quantities {

    private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(
            Map.entry("m", new BigDecimal("0.001")),
            Map.entry("k", BigDecimal.valueOf(1_000L)), Map.entry("M", BigDecimal.valueOf(1_000_000L)),
            Map.entry("G", BigDecimal.valueOf(1_000_000_000L)), Map.entry("T", BigDecimal.valueOf(1_000_000_000_000L)),
            Map.entry("Ki", BigDecimal.valueOf(1L << 10)), Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
            Map.entry("Gi", BigDecimal.valueOf(1L << 30)), Map.entry("Ti", BigDecimal.valueOf(1L << 40)));

    private Quantities() {
    }

    static double parse(String quantity) {
        String number = quantity.replaceAll("[A-Za-z]+$", "");
        String suffix = quantity.substring(number.length());
        BigDecimal factor = suffix.isEmpty() ? BigDecimal.ONE : SUFFIXES.get(suffix);
        if (factor == null) {
            throw new IllegalArgumentException("unknown quantity suffix in " + quantity);
        }
        return new BigDecimal(number).multiply(factor).doubleValue();
    }
}
