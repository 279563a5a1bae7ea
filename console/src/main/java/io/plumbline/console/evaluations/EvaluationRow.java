package io.plumbline.console.evaluations;

import io.plumbline.console.view.Values;
import io.plumbline.proto.judge.v1.Evaluation;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** One evaluation as a row of the browser or the head of its own page. */
public record EvaluationRow(String id, String when, String metricId, String metricName, int version, String level,
                            String recordId, String value, String status, String reasoning, String error,
                            String rawAnswer, String model, String tokens, String latency, String cost, String origin) {

    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    public static EvaluationRow of(Evaluation e) {
        var latency = e.getLatency();
        String model = e.getResponseModel().isBlank() ? e.getJudgeModel().getModel() : e.getResponseModel();
        return new EvaluationRow(e.getId(), WHEN.format(Instant.ofEpochSecond(e.getCreateTime().getSeconds())),
                e.getMetricVersion().getMetricId(), e.getMetricName(), e.getMetricVersion().getVersion(),
                Values.level(e.getRecord().getLevel()), e.getRecord().getRecordId(),
                e.getStatus() == Evaluation.Status.STATUS_OK ? Values.format(e.getValue()) : "—",
                e.getStatus().name().replace("STATUS_", "").toLowerCase(), e.getReasoning(), e.getError(),
                e.getRawAnswer(), model, e.getPromptTokens() + " / " + e.getCompletionTokens(),
                String.format(Locale.ROOT, "%d ms", latency.getSeconds() * 1000 + latency.getNanos() / 1_000_000),
                String.format(Locale.ROOT, "$%.5f", e.getCostUsd()),
                e.getOrigin().name().replace("ORIGIN_", "").toLowerCase().replace('_', '-'));
    }
}
