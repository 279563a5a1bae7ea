package io.plumbline.judge.intake;

import static io.restassured.RestAssured.given;

/** Reads counters from the Prometheus endpoint, as an operator would. */
public final class Metrics {

    private Metrics() {
    }

    /** The value of the first sample whose line starts with {@code series} (name and labels), 0 when absent. */
    public static double value(String series) {
        return given().get("/q/metrics").asString().lines()
                .filter(line -> line.startsWith(series))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }
}
