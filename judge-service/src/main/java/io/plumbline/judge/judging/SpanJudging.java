package io.plumbline.judge.judging;

import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.common.llm.LlmCallFailed;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.judge.evaluation.EvaluationStore;
import io.plumbline.judge.intake.NormalizedSpanHandler;
import io.plumbline.judge.matching.Bindings;
import io.plumbline.judge.normalize.NormalizedSpan;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.registry.v1.VersionContent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Judges span-level records as they arrive: every published span metric of the span's project whose binding selects it
 * (matchers, then deterministic sampling) judges it, and the evaluation is stored and emitted. Storing is idempotent on
 * (version, record, content hash), so a redelivered record is judged again at most in vain and never stored twice. A
 * provider that stays unavailable holds the record (retried with backoff until it answers): the offset is not
 * committed, nothing is lost. Spans without GenAI content are skipped and counted.
 *
 * <p>Traces and sessions come with assembly; until then only span metrics judge from the stream.
 */
@ApplicationScoped
public class SpanJudging implements NormalizedSpanHandler {

    private static final Logger LOG = Logger.getLogger(SpanJudging.class);

    private final MetricCatalog catalog;
    private final JudgeModel judgeModel;
    private final EvaluationStore store;
    private final MeterRegistry meters;
    private final int concurrency;

    SpanJudging(MetricCatalog catalog, JudgeModel judgeModel, EvaluationStore store, MeterRegistry meters,
            @ConfigProperty(name = "plumbline.judging.concurrency", defaultValue = "16") int concurrency) {
        this.catalog = catalog;
        this.judgeModel = judgeModel;
        this.store = store;
        this.meters = meters;
        this.concurrency = concurrency;
    }

    @Override
    public Uni<Void> handle(List<NormalizedSpan> spans) {
        List<MetricCatalog.Published> spanMetrics = catalog.published().stream()
                .filter(p -> p.metric().getLevel() == Level.LEVEL_SPAN && p.metric().getBindingsCount() > 0).toList();
        if (spanMetrics.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(spans)
                .filter(span -> {
                    if (!span.hasGenAiContent()) {
                        meters.counter("plumbline.judge.spans.skipped", "reason", "no_genai_content").increment();
                    }
                    return span.hasGenAiContent();
                })
                .onItem().transformToMultiAndConcatenate(span -> Multi.createFrom().iterable(spanMetrics)
                        .filter(p -> p.metric().getProjectId().equals(span.snapshot().getRecord().getProjectId()))
                        .onItem().transformToIterable(p -> Bindings.selecting(p.metric().getBindingsList(),
                                p.metric().getId(), span.snapshot()).map(b -> List.of(new Work(span, p, b.getName())))
                                .orElse(List.of())))
                .onItem().transformToUni(this::judge).merge(concurrency)
                .collect().last().replaceWithVoid();
    }

    private record Work(NormalizedSpan span, MetricCatalog.Published metric, String bindingName) {
    }

    private Uni<Evaluation> judge(Work work) {
        var metric = work.metric().metric();
        var version = work.metric().version();
        var judge = new JudgeModel.Judge(metric.getProjectId(),
                MetricVersionRef.newBuilder().setMetricId(metric.getId()).setVersion(version.getVersion()).build(),
                metric.getName(), metric.getOutputType(),
                VersionContent.newBuilder().setPromptTemplate(version.getPromptTemplate())
                        .addAllGuidelines(version.getGuidelinesList()).addAllExamples(version.getExamplesList()).build(),
                metric.getJudgeModel(), Evaluation.Origin.ORIGIN_STREAM, work.bindingName());
        var record = work.span().snapshot();
        return store.existing(metric.getId(), version.getVersion(), record.getRecord().getRecordId(), record.getContentHash())
                .chain(earlier -> earlier != null ? Uni.createFrom().item(earlier)
                        : judgeModel.judge(judge, record)
                                .onFailure(LlmCallFailed.class).invoke(failure -> LOG.warnf(
                                        "Judging %s with %s waits for the provider: %s", record.getRecord().getRecordId(),
                                        metric.getName(), failure.getMessage()))
                                .onFailure(LlmCallFailed.class).retry().withBackOff(Duration.ofSeconds(1),
                                        Duration.ofSeconds(60)).indefinitely()
                                .chain(evaluation -> store.store(evaluation, record))
                                .invoke(evaluation -> meters.counter("plumbline.judge.evaluations", "metric",
                                        metric.getName(), "status", evaluation.getStatus().name()).increment()));
    }
}
