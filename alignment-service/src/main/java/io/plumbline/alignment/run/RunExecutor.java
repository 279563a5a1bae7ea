package io.plumbline.alignment.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import io.plumbline.alignment.distill.DisagreementTrace;
import io.plumbline.alignment.distill.DistillRequest;
import io.plumbline.alignment.distill.GuidelineDistiller;
import io.plumbline.alignment.validate.HoldoutValidator;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.llm.LlmCallFailed;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.alignment.v1.AlignmentEvent;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.AlignmentRun.Phase;
import io.plumbline.proto.alignment.v1.AlignmentRun.Status;
import io.plumbline.proto.alignment.v1.PhaseUsage;
import io.plumbline.proto.alignment.v1.RoundSummary;
import io.plumbline.proto.alignment.v1.RunCounts;
import io.plumbline.proto.alignment.v1.RunDecision;
import io.plumbline.proto.alignment.v1.RunError;
import io.plumbline.proto.alignment.v1.RunProgress;
import io.plumbline.proto.alignment.v1.ValidationReport;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.plumbline.proto.registry.v1.FewShotExample;
import io.plumbline.proto.registry.v1.Guideline;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.VersionContent;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Runs alignment runs: picks up PENDING runs, and RUNNING runs a previous process left behind (this service runs as one
 * replica), and takes each through its phases. Every phase's result is durable before the next starts: the split after
 * loading, the candidate after distilling; a resumed run starts from the last completed phase. A cancel committed in
 * between wins: every write of the worker applies only while the run is RUNNING, and the run's pipeline is cancelled,
 * which stops further LLM and judge calls.
 */
@ApplicationScoped
public class RunExecutor {

    private static final Logger LOG = Logger.getLogger(RunExecutor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final double LOW_CONFIDENCE_BELOW = 5;

    private final RunStore store;
    private final Registry registry;
    private final GuidelineDistiller distiller;
    private final HoldoutValidator validator;
    private final RunAcceptance acceptance;
    private final Map<UUID, Cancellable> executing = new ConcurrentHashMap<>();
    private final io.vertx.core.Vertx vertx;

    RunExecutor(RunStore store, Registry registry, GuidelineDistiller distiller, HoldoutValidator validator,
            RunAcceptance acceptance, io.vertx.core.Vertx vertx) {
        this.vertx = vertx;
        this.store = store;
        this.registry = registry;
        this.distiller = distiller;
        this.validator = validator;
        this.acceptance = acceptance;
    }

    @Scheduled(every = "${plumbline.alignment.runs.poll-interval:2s}", delayed = "${plumbline.alignment.runs.poll-delay:2s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> pickUp() {
        return Panache.withSession(() -> RunEntity.<RunEntity>find("status in ?1 order by createdAt",
                        List.of(Status.STATUS_PENDING.name(), Status.STATUS_RUNNING.name())).list())
                .invoke(runs -> runs.forEach(run -> launch(run.id)))
                .replaceWithVoid();
    }

    /** Starts executing the run now (if this process does not already), on a fresh duplicated Vert.x context. */
    void launch(UUID id) {
        executing.computeIfAbsent(id, key -> {
            java.util.concurrent.atomic.AtomicReference<Cancellable> handle = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
            io.vertx.core.Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
            VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(ignored -> {
                if (cancelled.get()) {
                    return;
                }
                handle.set(execute(key).subscribe().with(
                        done -> executing.remove(key),
                        failure -> {
                            LOG.errorf(failure, "alignment run %s failed outside its phases", key);
                            executing.remove(key);
                        }));
            });
            return () -> {
                cancelled.set(true);
                Cancellable running = handle.get();
                if (running != null) {
                    running.cancel();
                }
            };
        });
    }

    /** Stops the run's pipeline, when this process executes it: no further LLM or judge calls. */
    void stop(UUID id) {
        Cancellable running = executing.remove(id);
        if (running != null) {
            running.cancel();
        }
    }

    // ------------------------------------------------------------------------------------------------------------------

    /** What a run works with once loaded. */
    private static final class Work {
        final UUID id;
        AlignmentRun run;
        Metric metric;
        VersionContent base;
        double delta;
        List<RunRows.Row> train = List.of();
        List<RunRows.Row> holdout = List.of();
        long phaseStarted = System.nanoTime();

        Work(UUID id) {
            this.id = id;
        }
    }

    private Uni<Void> execute(UUID id) {
        Work work = new Work(id);
        return store.find(id).chain(entity -> {
            if (entity == null || RunEntity.terminal(entity.proto().getStatus())) {
                return Uni.createFrom().voidItem();
            }
            AlignmentRun run = entity.proto();
            work.run = run;
            Uni<Void> phases = begin(work)
                    .chain(() -> context(work))
                    .chain(() -> entity.splitJson == null ? load(work) : reload(work, entity))
                    .chain(() -> work.run.getStatus() != Status.STATUS_RUNNING ? Uni.createFrom().voidItem()
                            : distillAndValidate(work, entity.candidateContent(), run.getPhase()));
            return phases.onFailure().recoverWithUni(failure -> fail(work, failure));
        });
    }

    /** PENDING becomes RUNNING in the first phase; a RUNNING run (left by a restart) goes on. */
    private Uni<Void> begin(Work work) {
        if (work.run.getStatus() == Status.STATUS_RUNNING) {
            LOG.infof("resuming alignment run %s from phase %s", work.id, work.run.getPhase());
            return Uni.createFrom().voidItem();
        }
        return store.update(work.id, r -> r.getStatus() == Status.STATUS_PENDING, (entity, run) -> run
                        .setStatus(Status.STATUS_RUNNING).setPhase(Phase.PHASE_LOADING_ANNOTATIONS)
                        .setStartTime(ProtoJson.timestamp(ProtoJson.now()))
                        .setProgress(progress(0.02, "loading resolved annotations")),
                AlignmentEvent.Type.TYPE_PHASE_CHANGED).invoke(changed -> work.run = changed.run()).replaceWithVoid();
    }

    private Uni<Void> context(Work work) {
        AlignmentRun run = work.run;
        return registry.metric(run.getProjectId(), run.getMetricId())
                .chain(metric -> registry.version(run.getProjectId(), run.getMetricId(), run.getBaseVersion())
                        .invoke(version -> {
                            work.metric = metric;
                            work.base = VersionContent.newBuilder().setPromptTemplate(version.getPromptTemplate())
                                    .addAllGuidelines(version.getGuidelinesList()).addAllExamples(version.getExamplesList())
                                    .build();
                            work.delta = run.getSettings().getDeltaThreshold();
                        }))
                .replaceWithVoid();
    }

    /** Loading: the sources' annotations, the usable ones split into train and holdout, the split kept. */
    private Uni<Void> load(Work work) {
        AlignmentRun run = work.run;
        return Panache.withSession(() -> RunRows.load(run.getProjectId(), UUID.fromString(run.getMetricId()),
                run.getSettings().getSources())).chain(rows -> {
            List<RunRows.Row> usable = rows.stream().filter(RunRows.Row::usable).toList();
            Map<UUID, RunRows.Row> byId = new java.util.HashMap<>();
            usable.forEach(r -> byId.put(r.id(), r));
            HoldoutSplit.Parts parts = HoldoutSplit.split(usable.stream().map(RunRows.Row::id).toList(),
                    id -> OutputTypes.format(byId.get(id).expertValue()), run.getSettings().getHoldoutFraction(),
                    run.getSettings().getSeed());
            work.train = parts.train().stream().map(byId::get).toList();
            work.holdout = parts.holdout().stream().map(byId::get).toList();
            long disagreements = usable.stream().filter(r -> r.disagrees(work.delta)).count();
            RunCounts counts = RunCounts.newBuilder()
                    .setAnnotationsLoaded(rows.size())
                    .setAnnotationsUnusable(rows.size() - usable.size())
                    .setDisagreementsFound(disagreements)
                    .setAgreeingRowsSkipped(usable.size() - disagreements)
                    .setTrainSize(work.train.size())
                    .setHoldoutSize(work.holdout.size())
                    .setTrainDisagreements(work.train.stream().filter(r -> r.disagrees(work.delta)).count())
                    .setHoldoutDisagreements(work.holdout.stream().filter(r -> r.disagrees(work.delta)).count())
                    .build();
            String split = splitJson(parts);
            return advance(work, Phase.PHASE_BUILDING_DISAGREEMENT_TRACES, 0.1,
                    "building " + counts.getTrainDisagreements() + " disagreement traces", 0, 0, 0, 0,
                    (entity, builder) -> {
                        entity.splitJson = split;
                        builder.setCounts(counts);
                    });
        });
    }

    /** After a restart: the split kept by the loading phase. */
    private Uni<Void> reload(Work work, RunEntity entity) {
        List<UUID> train = entity.trainIds();
        List<UUID> holdout = entity.splitIds("holdout");
        AlignmentRun run = work.run;
        UUID metric = UUID.fromString(run.getMetricId());
        return Panache.withSession(() -> RunRows.byIds(run.getProjectId(), metric, train)
                .chain(rows -> {
                    work.train = rows;
                    return RunRows.byIds(run.getProjectId(), metric, holdout);
                })).invoke(rows -> work.holdout = rows).replaceWithVoid();
    }

    private Uni<Void> distillAndValidate(Work work, VersionContent storedCandidate, Phase resumedAt) {
        AlignmentRun run = work.run;
        List<RunRows.Row> trainDisagreements = work.train.stream().filter(r -> r.disagrees(work.delta)).toList();
        if (run.getCounts().getDisagreementsFound() == 0 || trainDisagreements.isEmpty()) {
            return finish(work, null, null, 0, true, "");
        }
        List<DisagreementTrace> traces = trainDisagreements.stream().map(RunExecutor::trace).toList();
        List<RunRows.Row> agreeing = new ArrayList<>(work.train.stream().filter(r -> !r.disagrees(work.delta)).toList());
        Collections.shuffle(agreeing, new Random(run.getSettings().getSeed()));
        List<DisagreementTrace> agreeingSample = agreeing.stream()
                .limit(run.getSettings().getAgreeingSampleSize()).map(RunExecutor::trace).toList();
        List<HoldoutValidator.Row> holdoutRows = work.holdout.stream().map(r -> holdoutRow(r, run.getBaseVersion())).toList();
        HoldoutValidator.Judging judging = new HoldoutValidator.Judging(run.getProjectId(), run.getMetricName(),
                work.metric.getOutputType(), run.getSettings().getJudgeModel(), work.delta);

        Uni<Void> toDistilling = run.getPhase().getNumber() >= Phase.PHASE_DISTILLING_GUIDELINES.getNumber()
                ? Uni.createFrom().voidItem()
                : advance(work, Phase.PHASE_DISTILLING_GUIDELINES, 0.15, "distilling guidelines from "
                        + traces.size() + " disagreements", 0, 0, 0, 0, (e, b) -> { });
        boolean resumeValidation = storedCandidate != null && resumedAt.getNumber() >= Phase.PHASE_VALIDATING.getNumber();
        return toDistilling.chain(() -> round(work, judging, traces, agreeingSample, holdoutRows, work.base,
                resumeValidation ? storedCandidate : null, 1, null, null));
    }

    /** One distill-and-validate round; a further one (up to max_rounds) refines when this one showed no lift. */
    private Uni<Void> round(Work work, HoldoutValidator.Judging judging, List<DisagreementTrace> traces,
            List<DisagreementTrace> agreeing, List<HoldoutValidator.Row> holdout, VersionContent current,
            VersionContent distilled, int round, VersionContent best, ValidationReport bestReport) {
        AlignmentRun run = work.run;
        Uni<VersionContent> candidate = distilled != null ? Uni.createFrom().item(distilled)
                : distiller.distill(new DistillRequest(run.getMetricName(), work.metric.getDescription(),
                                work.metric.getOutputType(), current, traces, agreeing,
                                run.getSettings().getReflectionModel(), run.getSettings().getReflectionBatchSize(),
                                run.getSettings().getMaxExamples()))
                        .chain(distillation -> {
                            VersionContent content = compose(current, distillation.candidate(),
                                    run.getSettings().getMaxExamples());
                            return advance(work, Phase.PHASE_VALIDATING, 0.5, "validating round " + round + " on "
                                            + holdout.size() + " holdout annotations", distillation.reflectionCalls(),
                                    distillation.promptTokens(), distillation.completionTokens(), 0,
                                    (entity, builder) -> entity.candidate = content.toByteArray())
                                    .replaceWith(content);
                        });
        return candidate.chain(content -> Contexts.onCallerContext(
                        () -> validator.validate(judging, work.base, run.getBaseVersion(), content, holdout))
                .chain(outcome -> {
                    ValidationReport report = outcome.report();
                    RoundSummary summary = RoundSummary.newBuilder().setRound(round)
                            .setGuidelines(content.getGuidelinesCount()).setExamples(content.getExamplesCount())
                            .setAccuracy(report.getCandidate().getAccuracy()).setLiftPoints(report.getLiftPoints())
                            .build();
                    boolean better = bestReport == null || report.getLiftPoints() > bestReport.getLiftPoints();
                    VersionContent keep = better ? content : best;
                    ValidationReport keepReport = (better ? report : bestReport).toBuilder()
                            .clearRounds().addAllRounds(bestReport == null ? List.of() : bestReport.getRoundsList())
                            .addRounds(summary).build();
                    Uni<Void> usage = recordUsage(work, Phase.PHASE_VALIDATING, outcome.llmCalls(), outcome.promptTokens(),
                            outcome.completionTokens(), outcome.costUsd(), round);
                    if (report.getLiftPoints() > 0 || round >= run.getSettings().getMaxRounds()) {
                        return usage.chain(() -> finish(work, keep, keepReport, round, false, ""));
                    }
                    return usage.chain(() -> advance(work, Phase.PHASE_DISTILLING_GUIDELINES, 0.5,
                                    "round " + round + " showed no lift; refining (round " + (round + 1) + ")",
                                    0, 0, 0, 0, (e, b) -> { }))
                            .chain(() -> round(work, judging, traces, agreeing, holdout, content, null, round + 1, keep,
                                    keepReport));
                }));
    }

    /** Finalizing: the candidate and report kept, ALIGNED; under AUTO_PUBLISH a policy run may publish itself. */
    private Uni<Void> finish(Work work, VersionContent candidate, ValidationReport report, int rounds,
            boolean nothingToLearn, String note) {
        boolean lowConfidence = work.run.getCounts().getDisagreementsFound() < LOW_CONFIDENCE_BELOW;
        return advance(work, Phase.PHASE_FINALIZING, 0.95, "finalizing", 0, 0, 0, 0, (e, b) -> { })
                .chain(() -> store.update(work.id, r -> r.getStatus() == Status.STATUS_RUNNING, (entity, run) -> {
                    closeUsage(work, run);
                    run.setStatus(Status.STATUS_ALIGNED).setRoundsDone(rounds)
                            .setFinishTime(ProtoJson.timestamp(ProtoJson.now()))
                            .setProgress(progress(1, nothingToLearn ? "nothing to learn: no disagreements" : "aligned"));
                    if (nothingToLearn) {
                        run.setNothingToLearn(true);
                    } else {
                        run.setCandidate(candidate).setValidation(report.toBuilder().setLowConfidence(lowConfidence));
                    }
                }, AlignmentEvent.Type.TYPE_ALIGNED))
                .chain(changed -> changed.applied() ? autoPublish(changed.run()) : Uni.createFrom().voidItem());
    }

    private Uni<Void> autoPublish(AlignmentRun run) {
        if (run.getTrigger() != AlignmentRun.Trigger.TRIGGER_POLICY || run.getNothingToLearn()) {
            return Uni.createFrom().voidItem();
        }
        return registry.metric(run.getProjectId(), run.getMetricId()).chain(metric -> {
            AlignmentPolicy policy = metric.getAlignmentPolicy();
            if (policy.getMode() != AlignmentPolicy.Mode.MODE_AUTO_PUBLISH) {
                return Uni.createFrom().voidItem();
            }
            double bound = policy.getMinLiftPoints() > 0 ? policy.getMinLiftPoints() : 5;
            ValidationReport report = run.getValidation();
            String why = report.getLiftPoints() < bound
                    ? String.format(Locale.ROOT, "lift %.1f points below the %.1f-point bound", report.getLiftPoints(), bound)
                    : report.getSignificantRegression() ? "significant regression: " + report.getRegressionDetail() : "";
            if (!why.isEmpty()) {
                return store.update(UUID.fromString(run.getId()), r -> true, (e, b) -> b.setAutoPublishNote(why), null)
                        .replaceWithVoid();
            }
            return acceptance.accept(run, new RunAcceptance.Acceptance(true, "", "", "policy", false,
                    RunDecision.Kind.KIND_AUTO_PUBLISHED)).replaceWithVoid();
        }).onFailure().recoverWithUni(failure -> {
            LOG.warnf(failure, "alignment run %s: auto-publish failed; the candidate is left for a person", run.getId());
            return store.update(UUID.fromString(run.getId()), r -> !r.hasDecision(),
                    (e, b) -> b.setAutoPublishNote("auto-publish failed: " + failure.getMessage()), null).replaceWithVoid();
        });
    }

    /** Moves to {@code phase} (an event), closing the previous phase's usage with what it spent. */
    private Uni<Void> advance(Work work, Phase phase, double fraction, String message, long calls, long promptTokens,
            long completionTokens, double cost, java.util.function.BiConsumer<RunEntity, AlignmentRun.Builder> also) {
        return store.update(work.id, r -> r.getStatus() == Status.STATUS_RUNNING, (entity, run) -> {
                    addUsage(work, run, run.getPhase(), calls, promptTokens, completionTokens, cost, true);
                    also.accept(entity, run);
                    run.setPhase(phase).setProgress(progress(fraction, message));
                }, AlignmentEvent.Type.TYPE_PHASE_CHANGED)
                .invoke(changed -> work.run = changed.run())
                .invoke(changed -> {
                    if (!changed.applied()) {
                        throw new Stopped();
                    }
                })
                .replaceWithVoid();
    }

    private Uni<Void> recordUsage(Work work, Phase phase, long calls, long promptTokens, long completionTokens,
            double cost, int round) {
        return store.update(work.id, r -> r.getStatus() == Status.STATUS_RUNNING, (entity, run) -> {
                    addUsage(work, run, phase, calls, promptTokens, completionTokens, cost, false);
                    run.setRoundsDone(round);
                }, null)
                .invoke(changed -> work.run = changed.run())
                .invoke(changed -> {
                    if (!changed.applied()) {
                        throw new Stopped();
                    }
                })
                .replaceWithVoid();
    }

    private static void addUsage(Work work, AlignmentRun.Builder run, Phase phase, long calls, long promptTokens,
            long completionTokens, double cost, boolean closePhase) {
        if (phase == Phase.PHASE_UNSPECIFIED) {
            return;
        }
        long now = System.nanoTime();
        Duration spent = closePhase ? Duration.ofNanos(now - work.phaseStarted) : Duration.ZERO;
        if (closePhase) {
            work.phaseStarted = now;
        }
        for (int i = 0; i < run.getUsageCount(); i++) {
            PhaseUsage u = run.getUsage(i);
            if (u.getPhase() == phase) {
                Duration total = Duration.ofSeconds(u.getDuration().getSeconds(), u.getDuration().getNanos()).plus(spent);
                run.setUsage(i, u.toBuilder().setLlmCalls(u.getLlmCalls() + calls)
                        .setPromptTokens(u.getPromptTokens() + promptTokens)
                        .setCompletionTokens(u.getCompletionTokens() + completionTokens)
                        .setCostUsd(u.getCostUsd() + cost).setDuration(duration(total)));
                return;
            }
        }
        run.addUsage(PhaseUsage.newBuilder().setPhase(phase).setLlmCalls(calls).setPromptTokens(promptTokens)
                .setCompletionTokens(completionTokens).setCostUsd(cost).setDuration(duration(spent)));
    }

    private static void closeUsage(Work work, AlignmentRun.Builder run) {
        addUsage(work, run, run.getPhase(), 0, 0, 0, 0, true);
    }

    private static com.google.protobuf.Duration duration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    /** A failure ends the run in ERROR with its cause, unless the run was cancelled meanwhile. */
    private Uni<Void> fail(Work work, Throwable failure) {
        if (failure instanceof Stopped) {
            return Uni.createFrom().voidItem();
        }
        RunError.Builder error = RunError.newBuilder().setMessage(String.valueOf(failure.getMessage()));
        if (failure instanceof GuidelineDistiller.ReflectionUnparseable unparseable) {
            error.setCause(RunError.Cause.CAUSE_REFLECTION_UNPARSEABLE).setRawAnswer(unparseable.rawAnswer());
        } else if (failure instanceof LlmCallFailed) {
            error.setCause(RunError.Cause.CAUSE_PROVIDER);
        } else if (failure instanceof Registry.RegistryFailed || failure instanceof io.plumbline.common.api.ApiException) {
            error.setCause(RunError.Cause.CAUSE_REGISTRY);
        } else if (failure instanceof StatusRuntimeException) {
            error.setCause(RunError.Cause.CAUSE_JUDGE_SERVICE).setMessage("judge-service: " + failure.getMessage());
        } else {
            error.setCause(RunError.Cause.CAUSE_INTERNAL);
            LOG.errorf(failure, "alignment run %s failed", work.id);
        }
        return store.update(work.id, RunStore::active, (entity, run) -> {
            closeUsage(work, run);
            run.setStatus(Status.STATUS_ERROR).setError(error.setPhase(run.getPhase()))
                    .setFinishTime(ProtoJson.timestamp(ProtoJson.now()))
                    .setProgress(progress(run.getProgress().getFraction(), "failed: " + error.getMessage()));
        }, AlignmentEvent.Type.TYPE_FAILED).replaceWithVoid();
    }

    /** The run stopped being RUNNING under the worker (cancelled): nothing more to do. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("the run is no longer running", null, false, false);
        }
    }

    // ------------------------------------------------------------------------------------------------------------------

    /** The candidate: the base content with the distilled guidelines and examples added (no duplicates). */
    static VersionContent compose(VersionContent current, VersionContent distilled, int maxExamples) {
        var content = current.toBuilder();
        Set<String> texts = new HashSet<>();
        current.getGuidelinesList().forEach(g -> texts.add(g.getText().toLowerCase(Locale.ROOT)));
        for (Guideline g : distilled.getGuidelinesList()) {
            if (texts.add(g.getText().toLowerCase(Locale.ROOT))) {
                content.addGuidelines(g);
            }
        }
        Set<String> sources = new HashSet<>();
        current.getExamplesList().forEach(e -> sources.add(e.getSourceAnnotationId()));
        for (FewShotExample e : distilled.getExamplesList()) {
            if (content.getExamplesCount() < Math.max(maxExamples, current.getExamplesCount())
                    && sources.add(e.getSourceAnnotationId())) {
                content.addExamples(e);
            }
        }
        return content.build();
    }

    private static DisagreementTrace trace(RunRows.Row row) {
        RecordSnapshot snapshot = row.snapshot();
        String context = Stream.of(snapshot.getContext().getSystemInstructions(), snapshot.getContext().getText())
                .filter(s -> !s.isBlank()).reduce((a, b) -> a + "\n\n" + b).orElse("");
        var annotation = row.annotationProto();
        List<String> critiques = annotation.getCritiquesList().stream()
                .sorted((a, b) -> Boolean.compare(b.getAdjudication() || b.getAgreesWithResolution(),
                        a.getAdjudication() || a.getAgreesWithResolution()))
                .map(Critique::getCritique).filter(c -> !c.isBlank()).toList();
        return new DisagreementTrace(row.id().toString(), snapshot.getInput(), snapshot.getOutput(), context,
                row.judgeValue(), row.annotation().judgeReasoning, row.expertValue(), critiques);
    }

    private static HoldoutValidator.Row holdoutRow(RunRows.Row row, int baseVersion) {
        boolean byBase = row.evaluation().metricVersion == baseVersion;
        return new HoldoutValidator.Row(row.id().toString(), row.evaluation().id.toString(),
                ProtoJson.parse(row.evaluation().recordJson, io.plumbline.proto.common.v1.RecordRef.getDefaultInstance()),
                row.snapshot(), row.expertValue(), byBase ? row.judgeValue() : null,
                byBase ? row.annotation().judgeReasoning : "");
    }

    private static String splitJson(HoldoutSplit.Parts parts) {
        var node = JSON.createObjectNode();
        var train = node.putArray("train");
        parts.train().forEach(id -> train.add(id.toString()));
        var holdout = node.putArray("holdout");
        parts.holdout().forEach(id -> holdout.add(id.toString()));
        return node.toString();
    }

    static RunProgress progress(double fraction, String message) {
        return RunProgress.newBuilder().setFraction(fraction).setMessage(message).build();
    }
}
