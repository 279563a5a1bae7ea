package io.plumbline.alignment.validate;

import io.plumbline.common.metric.OutputTypes;
import io.plumbline.common.stats.ConfidenceIntervals;
import io.plumbline.common.stats.JudgeExpertAgreement;
import io.plumbline.proto.alignment.v1.ConfidenceInterval;
import io.plumbline.proto.alignment.v1.RegressedExample;
import io.plumbline.proto.alignment.v1.ValidationReport;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.DraftMetric;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.EvaluateResult;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.VersionContent;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Validates a candidate on the holdout: the judge-service's Evaluate (its streaming form) judges every holdout record with the candidate (a
 * draft); the base version's values are the stored evaluations (only rows judged by another version are judged again
 * with the base content). Reports both agreements, the paired lift with its confidence interval, every regression, and
 * whether some expert value regressed significantly (one-sided exact McNemar test).
 */
@ApplicationScoped
public class HoldoutValidator {

    static final double LEVEL = 0.95;

    /**
     * One holdout row.
     *
     * @param baseValue the base version's stored value, or null when the row must be judged with the base content
     */
    public record Row(String annotationId, String evaluationId, RecordRef record, RecordSnapshot snapshot,
            MetricValue expertValue, MetricValue baseValue, String baseReasoning) {
    }

    /** What is judged with. */
    public record Judging(String projectId, String metricName, OutputType outputType, ModelConfig judgeModel,
            double deltaThreshold) {
    }

    /** The report and what the judge-service spent on it. */
    public record Outcome(ValidationReport report, long llmCalls, long promptTokens, long completionTokens, double costUsd) {
    }

    @GrpcClient("judge")
    io.grpc.Channel judgeChannel;

    @ConfigProperty(name = "plumbline.alignment.validation.chunk-size", defaultValue = "32")
    int chunkSize;

    @ConfigProperty(name = "plumbline.alignment.validation.max-concurrency", defaultValue = "16")
    int maxConcurrency;

    /** Judges with {@code content} every row; results by annotation id. */
    public Uni<Judged> judge(Judging judging, VersionContent content, List<Row> rows) {
        Judged judged = new Judged();
        if (rows.isEmpty()) {
            return Uni.createFrom().item(judged);
        }
        List<List<Row>> chunks = new ArrayList<>();
        for (int i = 0; i < rows.size(); i += chunkSize) {
            chunks.add(rows.subList(i, Math.min(rows.size(), i + chunkSize)));
        }
        // EvaluateStream: cancelling the run cancels the call, which stops the items not yet sent to the provider.
        return Multi.createFrom().iterable(chunks)
                .onItem().transformToMultiAndConcatenate(chunk -> evaluateStream(request(judging, content, chunk)))
                .invoke(judged::add)
                .collect().last().replaceWith(judged);
    }

    /** EvaluateStream, whose call is cancelled when the stream's subscriber cancels (a cancelled run). */
    private Multi<EvaluateResult> evaluateStream(EvaluateRequest request) {
        return Multi.createFrom().emitter(emitter -> JudgeGrpc.newStub(judgeChannel).evaluateStream(request,
                new ClientResponseObserver<EvaluateRequest, EvaluateResult>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<EvaluateRequest> call) {
                        emitter.onTermination(() -> call.cancel("the alignment run stopped", null));
                    }

                    @Override
                    public void onNext(EvaluateResult result) {
                        emitter.emit(result);
                    }

                    @Override
                    public void onError(Throwable failure) {
                        emitter.fail(failure);
                    }

                    @Override
                    public void onCompleted() {
                        emitter.complete();
                    }
                }));
    }

    private EvaluateRequest request(Judging judging, VersionContent content, List<Row> chunk) {
        var request = EvaluateRequest.newBuilder()
                .setProjectId(judging.projectId())
                .setDraft(DraftMetric.newBuilder().setName(judging.metricName()).setOutputType(judging.outputType())
                        .setContent(content))
                .setJudgeModel(judging.judgeModel())
                .setMaxConcurrency(maxConcurrency);
        chunk.forEach(row -> request.addItems(EvaluateItem.newBuilder().setKey(row.annotationId()).setSnapshot(row.snapshot())));
        return request.build();
    }

    /** Judgments by annotation id, and what they cost. */
    public static final class Judged {
        final Map<String, Evaluation> byKey = new HashMap<>();
        final Map<String, String> itemErrors = new HashMap<>();
        long calls;
        long promptTokens;
        long completionTokens;
        double cost;

        void add(EvaluateResult result) {
            if (result.hasEvaluation()) {
                Evaluation evaluation = result.getEvaluation();
                byKey.put(result.getKey(), evaluation);
                calls += evaluation.getAttempts();
                promptTokens += evaluation.getPromptTokens();
                completionTokens += evaluation.getCompletionTokens();
                cost += evaluation.getCostUsd();
            } else {
                itemErrors.put(result.getKey(), result.getError().getMessage());
            }
        }

        /** The OK value for the row, else null. */
        MetricValue value(String key) {
            Evaluation e = byKey.get(key);
            return e != null && e.getStatus() == Evaluation.Status.STATUS_OK ? e.getValue() : null;
        }

        String reasoning(String key) {
            Evaluation e = byKey.get(key);
            return e == null ? itemErrors.getOrDefault(key, "") : e.getReasoning();
        }
    }

    /**
     * The report: base values (stored, or judged now with {@code base} for rows without one) against the candidate's.
     */
    public Uni<Outcome> validate(Judging judging, VersionContent base, int baseVersion, VersionContent candidate,
            List<Row> rows) {
        List<Row> unjudged = rows.stream().filter(r -> r.baseValue() == null).toList();
        return judge(judging, base, unjudged).chain(baseJudged -> judge(judging, candidate, rows).map(candidateJudged -> {
            ValidationReport report = report(judging, baseVersion, rows, baseJudged, candidateJudged);
            return new Outcome(report, baseJudged.calls + candidateJudged.calls,
                    baseJudged.promptTokens + candidateJudged.promptTokens,
                    baseJudged.completionTokens + candidateJudged.completionTokens,
                    baseJudged.cost + candidateJudged.cost);
        }));
    }

    static ValidationReport report(Judging judging, int baseVersion, List<Row> rows, Judged baseJudged,
            Judged candidateJudged) {
        OutputType type = judging.outputType();
        double delta = judging.deltaThreshold();
        List<JudgeExpertAgreement.Pair> basePairs = new ArrayList<>();
        List<JudgeExpertAgreement.Pair> candidatePairs = new ArrayList<>();
        var report = ValidationReport.newBuilder().setBaseVersion(baseVersion).setHoldoutSize(rows.size());
        long reused = 0;
        long candidateErrors = 0;
        long improved = 0;
        long regressedCount = 0;
        double[] differences = new double[rows.size()];
        Map<String, long[]> byExpertValue = new LinkedHashMap<>(); // {improved, regressed}
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            MetricValue baseValue = row.baseValue() != null ? row.baseValue() : baseJudged.value(row.annotationId());
            String baseReasoning = row.baseValue() != null ? row.baseReasoning() : baseJudged.reasoning(row.annotationId());
            if (row.baseValue() != null) {
                reused++;
            }
            MetricValue newValue = candidateJudged.value(row.annotationId());
            if (newValue == null) {
                candidateErrors++;
            }
            boolean baseRight = baseValue != null && OutputTypes.agree(baseValue, row.expertValue(), delta);
            boolean newRight = newValue != null && OutputTypes.agree(newValue, row.expertValue(), delta);
            if (baseValue != null) {
                basePairs.add(new JudgeExpertAgreement.Pair(baseValue, row.expertValue()));
            }
            if (newValue != null) {
                candidatePairs.add(new JudgeExpertAgreement.Pair(newValue, row.expertValue()));
            }
            differences[i] = (newRight ? 1 : 0) - (baseRight ? 1 : 0);
            String stratum = OutputTypes.isNumeric(type) ? "all" : OutputTypes.format(row.expertValue());
            long[] counts = byExpertValue.computeIfAbsent(stratum, k -> new long[2]);
            if (newRight && !baseRight) {
                improved++;
                counts[0]++;
            } else if (baseRight && !newRight) {
                regressedCount++;
                counts[1]++;
                var regression = RegressedExample.newBuilder().setAnnotationId(row.annotationId())
                        .setEvaluationId(row.evaluationId()).setRecord(row.record())
                        .setOldValue(baseValue).setExpertValue(row.expertValue())
                        .setOldReasoning(baseReasoning).setNewReasoning(candidateJudged.reasoning(row.annotationId()));
                if (newValue != null) {
                    regression.setNewValue(newValue);
                }
                report.addRegressions(regression);
            }
        }
        report.setBase(JudgeExpertAgreement.of(type, basePairs, delta, LEVEL))
                .setCandidate(JudgeExpertAgreement.of(type, candidatePairs, delta, LEVEL))
                .setImproved(improved).setRegressed(regressedCount)
                .setReusedBaseEvaluations(reused).setCandidateErrors(candidateErrors);
        int n = rows.size();
        if (n > 0) {
            double mean = 0;
            for (double d : differences) {
                mean += d;
            }
            mean /= n;
            report.setLiftPoints(100 * mean);
            if (n > 1) {
                double variance = 0;
                for (double d : differences) {
                    variance += (d - mean) * (d - mean);
                }
                double sd = Math.sqrt(variance / (n - 1));
                var ci = ConfidenceIntervals.normal(mean, sd / Math.sqrt(n), LEVEL);
                report.setLiftCi(ConfidenceInterval.newBuilder().setLower(100 * ci.lower()).setUpper(100 * ci.upper())
                        .setLevel(LEVEL));
            }
        }
        List<String> significant = new ArrayList<>();
        byExpertValue.forEach((value, counts) -> {
            double p = mcNemarOneSided(counts[1], counts[0]);
            if (p < 0.05) {
                significant.add((value.equals("all") ? "the holdout" : "expert value " + value) + ": " + counts[1]
                        + " regressed, " + counts[0] + " improved (McNemar p=" + String.format("%.3f", p) + ")");
            }
        });
        report.setSignificantRegression(!significant.isEmpty()).setRegressionDetail(String.join("; ", significant));
        return report.build();
    }

    /** P(at least {@code regressed} of the discordant pairs go the candidate's way wrong, when both are equally good). */
    static double mcNemarOneSided(long regressed, long improved) {
        long n = regressed + improved;
        if (n == 0 || regressed <= improved) {
            return 1;
        }
        double p = 0;
        for (long k = regressed; k <= n; k++) {
            p += Math.exp(logChoose(n, k) - n * Math.log(2));
        }
        return Math.min(1, p);
    }

    private static double logChoose(long n, long k) {
        double sum = 0;
        for (long i = 1; i <= k; i++) {
            sum += Math.log(n - k + i) - Math.log(i);
        }
        return sum;
    }
}
