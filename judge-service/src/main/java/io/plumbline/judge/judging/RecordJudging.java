package io.plumbline.judge.judging;

import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.common.llm.LlmCallFailed;
import io.plumbline.judge.budget.Budgets;
import io.plumbline.judge.catalog.MetricCatalog;
import io.plumbline.judge.evaluation.StreamEvaluations;
import io.plumbline.judge.matching.Bindings;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.SourceConvention;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.VersionContent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Judges one record from the stream (span, trace or session) with every published metric of its level and project
 * whose binding selects it (matchers, then deterministic sampling), within the binding's daily token budget. Each
 * evaluation is stored and emitted once: a version that already judged the same content of the record is not asked
 * again, and storing is idempotent on (version, record, content hash). A provider that stays unavailable holds the
 * record (retried with backoff until it answers), nothing is lost. Records without GenAI content are skipped and
 * counted.
 */
@ApplicationScoped
public class RecordJudging {

    private static final Logger LOG = Logger.getLogger(RecordJudging.class);

    private final MetricCatalog catalog;
    private final JudgeModel judgeModel;
    private final StreamEvaluations evaluations;
    private final Budgets budgets;
    private final MeterRegistry meters;
    private final EventLoops eventLoops;

    RecordJudging(MetricCatalog catalog, JudgeModel judgeModel, StreamEvaluations evaluations, Budgets budgets,
            MeterRegistry meters, Vertx vertx) {
        this.eventLoops = new EventLoops(vertx);
        this.catalog = catalog;
        this.judgeModel = judgeModel;
        this.evaluations = evaluations;
        this.budgets = budgets;
        this.meters = meters;
    }

    /**
     * The judgments the record is due: one per published metric of its level whose binding selects it. A record of no
     * GenAI convention is judged only by bindings that name plain attributes for its content, and with that content;
     * otherwise it is skipped and counted.
     */
    public List<Work> due(RecordSnapshot record) {
        Level level = record.getRecord().getLevel();
        List<MetricCatalog.Published> metrics = metricsOf(level, record.getRecord().getProjectId()).toList();
        if (metrics.isEmpty()) {
            return List.of();
        }
        boolean noConvention = record.getConvention() == SourceConvention.SOURCE_CONVENTION_UNSPECIFIED;
        List<Work> due = new ArrayList<>();
        boolean skipped = false;
        for (MetricCatalog.Published metric : metrics) {
            var binding = Bindings.selecting(metric.metric().getBindingsList(), metric.metric().getId(), record);
            if (binding.isEmpty()) {
                continue;
            }
            if (!noConvention) {
                due.add(new Work(record, metric, binding.get()));
                continue;
            }
            var content = Bindings.plainContent(record, binding.get());
            content.ifPresent(withContent -> due.add(new Work(withContent, metric, binding.get())));
            skipped |= content.isEmpty();
        }
        if (skipped) {
            meters.counter("plumbline.judge.records.skipped", "level", levelTag(level), "reason", "no_genai_content")
                    .increment();
        }
        return due;
    }

    /**
     * Whether any published metric of this level and project has a binding: a record for which none has is stored
     * judged, never claimed. A version published later judges the records assembled after it.
     */
    public boolean anyMetricFor(Level level, String projectId) {
        return metricsOf(level, projectId).findAny().isPresent();
    }

    private Stream<MetricCatalog.Published> metricsOf(Level level, String projectId) {
        return catalog.published().stream().filter(p -> p.metric().getLevel() == level
                && p.metric().getBindingsCount() > 0 && p.metric().getProjectId().equals(projectId));
    }

    /** A record claimed for judging, and whether it was claimed before (a claim that ran out, or a replica that died). */
    public record Claimed(RecordSnapshot record, boolean claimedBefore) {
    }

    /**
     * The judgments each of these records is due that are not stored yet, in the records' order: a record claimed again
     * after its claim ran out (a replica died mid-way) is not sent to the provider again for what was already stored.
     * Only records claimed before are looked up, all in one query; a record claimed for the first time has no stream
     * judgment stored yet.
     */
    public Uni<List<List<Work>>> unjudged(List<Claimed> records) {
        List<List<Work>> due = records.stream().map(claimed -> due(claimed.record())).toList();
        List<StreamEvaluations.Key> keys = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            if (records.get(i).claimedBefore()) {
                due.get(i).forEach(work -> keys.add(work.key()));
            }
        }
        if (keys.isEmpty()) {
            return Uni.createFrom().item(due);
        }
        return evaluations.stored(keys).map(stored -> due.stream()
                .map(works -> works.stream().filter(work -> !stored.contains(work.key())).toList()).toList());
    }

    /** Judges one record's due judgments, {@code concurrency} at a time. */
    public Uni<Void> judge(List<Work> works, int concurrency) {
        if (works.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(works).onItem().transformToUni(this::judge).merge(concurrency)
                .collect().last().replaceWithVoid();
    }

    /** One record to be judged by one metric, selected by one binding. */
    public record Work(RecordSnapshot record, MetricCatalog.Published metric, Binding binding) {

        StreamEvaluations.Key key() {
            return new StreamEvaluations.Key(metric.metric().getId(), metric.version().getVersion(),
                    record.getRecord().getRecordId(), record.getContentHash());
        }
    }

    /**
     * Judges on a Vert.x context of its own, on the event loops in turn: judgments run concurrently, each needs its
     * own database session (a Hibernate Reactive session is bound to the context and must not be used by two operations
     * at once), and their work between provider calls (rendering, reading answers, storing) must not all queue on the
     * one event loop that claimed them.
     */
    public Uni<Void> judge(Work work) {
        Context context = VertxContext.createNewDuplicatedContext(eventLoops.next());
        VertxContextSafetyToggle.setContextSafe(context, true);
        return Uni.createFrom().emitter(emitter -> context.runOnContext(ignored -> Uni.createFrom()
                .deferred(() -> judgeHere(work)).subscribe().with(emitter::complete, emitter::fail)));
    }

    private Uni<Void> judgeHere(Work work) {
        var metric = work.metric().metric();
        return budgets.allows(metric.getProjectId(), metric.getId(), work.binding()).chain(allowed -> {
            if (!allowed) {
                return budgets.skipped(metric.getProjectId(), metric.getId(), metric.getName(), work.binding());
            }
            return judgeAndStore(work);
        });
    }

    private Uni<Void> judgeAndStore(Work work) {
        var metric = work.metric().metric();
        var version = work.metric().version();
        var record = work.record();
        var judge = new JudgeModel.Judge(metric.getProjectId(),
                MetricVersionRef.newBuilder().setMetricId(metric.getId()).setVersion(version.getVersion()).build(),
                metric.getName(), metric.getOutputType(),
                VersionContent.newBuilder().setPromptTemplate(version.getPromptTemplate())
                        .addAllGuidelines(version.getGuidelinesList()).addAllExamples(version.getExamplesList()).build(),
                metric.getJudgeModel(), Evaluation.Origin.ORIGIN_STREAM, work.binding().getName());
        return judgeModel.judge(judge, record)
                .onFailure(LlmCallFailed.class).invoke(failure -> LOG.warnf(
                        "Judging %s with %s waits for the provider: %s", record.getRecord().getRecordId(),
                        metric.getName(), failure.getMessage()))
                .onFailure(LlmCallFailed.class).retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(60))
                .indefinitely()
                .chain(evaluation -> evaluations.store(new StreamEvaluations.Judged(evaluation, record,
                                new Budgets.Spending(metric.getProjectId(), metric.getId(), metric.getName(), work.binding(),
                                        evaluation.getPromptTokens() + evaluation.getCompletionTokens(),
                                        evaluation.getCostUsd())))
                        .invoke(stored -> {
                            if (stored) {
                                meters.counter("plumbline.judge.evaluations", "metric", metric.getName(), "level",
                                        levelTag(record.getRecord().getLevel()), "status", evaluation.getStatus().name())
                                        .increment();
                            }
                        }))
                .replaceWithVoid();
    }

    static String levelTag(Level level) {
        return switch (level) {
            case LEVEL_SPAN -> "span";
            case LEVEL_TRACE -> "trace";
            case LEVEL_SESSION -> "session";
            default -> "unknown";
        };
    }
}
