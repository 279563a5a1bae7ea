package io.plumbline.console.review;

import io.plumbline.console.view.RecordView;
import io.plumbline.console.view.Values;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricVersion;
import java.util.List;

/** One review item on the review screen: the record, the judge's answer, the metric, and the reviewer's form. */
public record ItemView(
        String id,
        String queueId,
        String status,
        String metricId,
        String metricName,
        String metricDescription,
        int metricVersion,
        String outputType,
        List<String> guidelines,
        String judgeValue,
        String judgeReasoning,
        RecordView record,
        ValueInput input,
        boolean resolved,
        String myFeedbackSummary) {

    /** How the expected value is entered: radio buttons for small sets, a number box otherwise. */
    public record ValueInput(String kind, List<String> choices, String min, String max, String step) {

        static ValueInput of(OutputType type) {
            return switch (type.getKindCase()) {
                case BOOLEAN -> new ValueInput("choice", List.of("true", "false"), "", "", "");
                case CATEGORICAL -> new ValueInput("choice", type.getCategorical().getLabelsList(), "", "", "");
                case DISCRETE -> {
                    long min = type.getDiscrete().getMin();
                    long max = type.getDiscrete().getMax();
                    yield max - min <= 10
                            ? new ValueInput("choice", java.util.stream.LongStream.rangeClosed(min, max)
                                    .mapToObj(Long::toString).toList(), "", "", "")
                            : new ValueInput("number", List.of(), Long.toString(min), Long.toString(max), "1");
                }
                case PERCENTAGE -> new ValueInput("number", List.of(), "0", "100", "any");
                case COUNT -> new ValueInput("number", List.of(), "0", "", "1");
                case KIND_NOT_SET -> new ValueInput("text", List.of(), "", "", "");
            };
        }
    }

    static ItemView of(ReviewItem item, Metric metric, MetricVersion version) {
        var evaluation = item.getEvaluation();
        String mine = "";
        if (item.hasMyFeedback()) {
            var f = item.getMyFeedback();
            mine = f.getVerdict() == Verdict.VERDICT_CORRECT ? "You marked the judge correct."
                    : "You marked the judge incorrect; expected " + Values.format(f.getExpectedValue()) + ".";
        }
        return new ItemView(item.getId(), item.getQueueId(), item.getStatus().name().replace("STATUS_", "").toLowerCase(),
                metric.getId(), evaluation.getMetricName().isBlank() ? metric.getName() : evaluation.getMetricName(),
                metric.getDescription(), evaluation.getMetricVersion().getVersion(),
                Values.describe(evaluation.getOutputType()),
                version.getGuidelinesList().stream().map(g -> g.getText()).toList(),
                Values.format(evaluation.getValue()), evaluation.getReasoning(), RecordView.of(item.getSnapshot()),
                ValueInput.of(evaluation.getOutputType()), item.getStatus() == ReviewItem.Status.STATUS_RESOLVED, mine);
    }
}
