package io.plumbline.judge.judging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Duration;
import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.judge.budget.PriceTable;
import io.plumbline.common.llm.LlmAnswer;
import io.plumbline.common.llm.LlmCall;
import io.plumbline.common.llm.LlmCallFailed;
import io.plumbline.common.llm.LlmGateway;
import io.plumbline.common.metric.TypedValues;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.VersionContent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * One judgment: renders the metric's prompt for a record, asks the judge model for structured output (reasoning and a
 * typed value), and checks the value against the output type. An answer that does not fit gets one repair call that
 * names the problem; if that fails too, the result is an evaluation with status ERROR that keeps the raw answer: a bad
 * judgment is a result, not a lost record. A provider that stays unavailable (rate limits, outage, open circuit) fails
 * the Uni with a transient {@link LlmCallFailed}, so that the stream can retry later and ad-hoc callers can report it.
 */
@ApplicationScoped
public class JudgeModel {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LlmGateway llm;
    private final PriceTable prices;
    private final MeterRegistry meters;

    JudgeModel(LlmGateway llm, PriceTable prices, MeterRegistry meters) {
        this.llm = llm;
        this.prices = prices;
        this.meters = meters;
    }

    /** What judges: a metric version (or a draft) and the model. */
    public record Judge(String projectId, MetricVersionRef version, String metricName, OutputType outputType,
            VersionContent content, ModelConfig model, Evaluation.Origin origin, String bindingName,
            String recomputeJobId) {

        /** A judge of the stream (a binding's) or an ad-hoc one. */
        public Judge(String projectId, MetricVersionRef version, String metricName, OutputType outputType,
                VersionContent content, ModelConfig model, Evaluation.Origin origin, String bindingName) {
            this(projectId, version, metricName, outputType, content, model, origin, bindingName, "");
        }

        /** An ad-hoc judge (Evaluate). */
        public Judge(String projectId, MetricVersionRef version, String metricName, OutputType outputType,
                VersionContent content, ModelConfig model) {
            this(projectId, version, metricName, outputType, content, model, Evaluation.Origin.ORIGIN_AD_HOC, "");
        }
    }

    /** The characters one judgment of the record sends as its prompt (system and user message), for estimates. */
    public static int promptLength(Judge judge, RecordSnapshot record) {
        return PromptRenderer.SYSTEM.length() + PromptRenderer.render(judge.content(), judge.outputType(), record).length();
    }

    public Uni<Evaluation> judge(Judge judge, RecordSnapshot record) {
        String prompt = PromptRenderer.render(judge.content(), judge.outputType(), record);
        var evaluation = Evaluation.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setProjectId(judge.projectId())
                .setRecord(record.getRecord())
                .setMetricVersion(judge.version())
                .setMetricName(judge.metricName())
                .setOutputType(judge.outputType())
                .setJudgeModel(judge.model())
                .setContentHash(record.getContentHash())
                .setOrigin(judge.origin())
                .setBindingName(judge.bindingName())
                .setRecomputeJobId(judge.recomputeJobId())
                .setCreateTime(ProtoJson.timestamp(ProtoJson.now()));
        if (record.hasEndTime()) {
            evaluation.setRecordEndTime(record.getEndTime());
        }
        long start = System.nanoTime();
        return llm.chat(call(judge, prompt))
                .chain(answer -> {
                    account(evaluation, answer);
                    try {
                        return Uni.createFrom().item(accept(evaluation, judge.outputType(), answer));
                    } catch (IllegalArgumentException invalid) {
                        evaluation.setRepairs(1);
                        String repair = prompt + "\n\nYour previous answer could not be used: " + invalid.getMessage()
                                + ". Answer again with only the JSON object.";
                        return llm.chat(call(judge, repair)).map(repaired -> {
                            account(evaluation, repaired);
                            try {
                                return accept(evaluation, judge.outputType(), repaired);
                            } catch (IllegalArgumentException stillInvalid) {
                                return evaluation.setStatus(Evaluation.Status.STATUS_ERROR)
                                        .setError("the judge's answer stayed invalid after one repair: "
                                                + stillInvalid.getMessage())
                                        .setRawAnswer(repaired.text());
                            }
                        });
                    }
                })
                .onFailure(failure -> failure instanceof LlmCallFailed call && !call.isTransient())
                .recoverWithItem(failure -> evaluation.setStatus(Evaluation.Status.STATUS_ERROR).setError(failure.getMessage()))
                .map(builder -> {
                    long elapsed = System.nanoTime() - start;
                    builder.setLatency(Duration.newBuilder().setSeconds(elapsed / 1_000_000_000)
                            .setNanos((int) (elapsed % 1_000_000_000)));
                    builder.setCostUsd(prices.cost(judge.model().getModel(), builder.getPromptTokens(),
                            builder.getCompletionTokens()));
                    count(judge, builder);
                    return builder.build();
                });
    }

    /** Tokens and cost on the Prometheus endpoint, per metric and judge model. */
    private void count(Judge judge, Evaluation.Builder evaluation) {
        String metric = judge.metricName();
        String model = judge.model().getModel();
        meters.counter("plumbline.judge.tokens", "metric", metric, "model", model, "kind", "prompt")
                .increment(evaluation.getPromptTokens());
        meters.counter("plumbline.judge.tokens", "metric", metric, "model", model, "kind", "completion")
                .increment(evaluation.getCompletionTokens());
        meters.counter("plumbline.judge.cost.usd", "metric", metric, "model", model).increment(evaluation.getCostUsd());
    }

    private static LlmCall call(Judge judge, String prompt) {
        ModelConfig model = judge.model();
        return new LlmCall(model.getProvider(), model.getModel(), PromptRenderer.SYSTEM, prompt,
                model.hasTemperature() ? model.getTemperature() : null,
                model.hasMaxOutputTokens() ? model.getMaxOutputTokens() : null,
                TypedValues.judgmentSchema(judge.outputType()));
    }

    private static void account(Evaluation.Builder evaluation, LlmAnswer answer) {
        evaluation.setPromptTokens(evaluation.getPromptTokens() + answer.inputTokens())
                .setCompletionTokens(evaluation.getCompletionTokens() + answer.outputTokens())
                .setAttempts(evaluation.getAttempts() + answer.attempts())
                .setResponseModel(answer.model());
    }

    /** The evaluation with the answer's value and reasoning; IllegalArgumentException naming what does not fit. */
    private static Evaluation.Builder accept(Evaluation.Builder evaluation, OutputType type, LlmAnswer answer) {
        JsonNode node;
        try {
            node = JSON.readTree(answer.text());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("it is not JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("it is not a JSON object");
        }
        var value = TypedValues.fromJson(type, node.get(TypedValues.VALUE));
        return evaluation.setStatus(Evaluation.Status.STATUS_OK).setValue(value)
                .setReasoning(node.path(TypedValues.REASONING).asText(""))
                .setRawAnswer(answer.text());
    }
}
