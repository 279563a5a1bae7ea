package io.plumbline.alignment.run;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.alignment.v1.AlignmentEvent;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.RunDecision;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateVersionRequest;
import io.plumbline.proto.registry.v1.ForkMetricRequest;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricWithVersion;
import io.plumbline.proto.registry.v1.PublishVersionRequest;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.UUID;

/**
 * Accepting a run's candidate through the registry: a new version of a custom metric (its parent the base version), or
 * a fork of a built-in; the author is the run and the change note links it. The registry makes both idempotent per run,
 * so an accept retried after a failure creates one version.
 */
@ApplicationScoped
public class RunAcceptance {

    static final int MAX_CHANGE_NOTE = 2000;
    private static final int FORK_NAME_ATTEMPTS = 20;

    private final Registry registry;
    private final RunStore store;

    RunAcceptance(Registry registry, RunStore store) {
        this.registry = registry;
        this.store = store;
    }

    /** What to accept with. */
    record Acceptance(boolean publish, String changeNote, String forkName, String decidedBy, boolean allowRebase,
            RunDecision.Kind kind) {
    }

    Uni<AlignmentRun> accept(AlignmentRun run, Acceptance acceptance) {
        if (run.hasDecision() && run.getDecision().getKind() != RunDecision.Kind.KIND_DISCARDED) {
            return Uni.createFrom().item(run); // accepted before: unchanged
        }
        if (run.hasDecision()) {
            throw ApiException.failedPrecondition("alignment run " + run.getId() + " was discarded");
        }
        if (run.getStatus() != AlignmentRun.Status.STATUS_ALIGNED || !run.hasCandidate()) {
            throw ApiException.failedPrecondition("alignment run " + run.getId() + " has no candidate to accept (status "
                    + run.getStatus() + (run.getNothingToLearn() ? ", nothing to learn" : "") + ")");
        }
        String note = changeNote(run, acceptance.changeNote());
        Author author = Author.newBuilder().setAlignmentRunId(run.getId()).build();
        Uni<RunDecision.Builder> created = run.getBuiltinMetric()
                ? fork(run, acceptance, note, author)
                : newVersion(run, acceptance, note, author);
        return created.chain(decision -> store.update(UUID.fromString(run.getId()),
                        current -> current.getStatus() == AlignmentRun.Status.STATUS_ALIGNED && !current.hasDecision(),
                        (entity, builder) -> builder.setDecision(decision.setKind(acceptance.kind())
                                .setDecidedBy(acceptance.decidedBy()).setDecideTime(ProtoJson.timestamp(ProtoJson.now()))
                                .setNote(note)),
                        AlignmentEvent.Type.TYPE_ACCEPTED))
                .map(RunStore.Changed::run);
    }

    private Uni<RunDecision.Builder> newVersion(AlignmentRun run, Acceptance acceptance, String note, Author author) {
        return registry.metric(run.getProjectId(), run.getMetricId()).chain(metric -> {
            if (metric.getHeadVersion() != run.getBaseVersion() && !acceptance.allowRebase()) {
                throw ApiException.aborted("the metric's head is version " + metric.getHeadVersion()
                        + ", no longer the run's base version " + run.getBaseVersion()
                        + "; accept with allow_rebase to build on the head", Map.of("head_version",
                        String.valueOf(metric.getHeadVersion()), "base_version", String.valueOf(run.getBaseVersion())));
            }
            return Contexts.onCallerContext(() -> registry.stub().createVersion(CreateVersionRequest.newBuilder()
                            .setProjectId(run.getProjectId()).setMetricId(run.getMetricId())
                            .setParentVersion(metric.getHeadVersion()).setContent(run.getCandidate())
                            .setAuthor(author).setChangeNote(note).setPublish(acceptance.publish()).build()))
                    .onFailure().transform(Registry::translate)
                    .map(version -> RunDecision.newBuilder()
                            .setCreatedVersion(MetricVersionRef.newBuilder().setMetricId(run.getMetricId())
                                    .setVersion(version.getVersion()))
                            .setPublished(acceptance.publish()));
        });
    }

    private Uni<RunDecision.Builder> fork(AlignmentRun run, Acceptance acceptance, String note, Author author) {
        String base = acceptance.forkName().isBlank() ? run.getMetricName() + "-aligned" : acceptance.forkName();
        return forkNamed(run, base, acceptance.forkName().isBlank() ? 1 : FORK_NAME_ATTEMPTS, 1, note, author)
                .chain(fork -> {
                    Metric metric = fork.getMetric();
                    int version = fork.getVersion().getVersion();
                    var decision = RunDecision.newBuilder().setForked(true).setCreatedVersion(
                            MetricVersionRef.newBuilder().setMetricId(metric.getId()).setVersion(version));
                    if (!acceptance.publish() || metric.getPublishedVersion() == version) {
                        return Uni.createFrom().item(decision.setPublished(metric.getPublishedVersion() == version));
                    }
                    return Contexts.onCallerContext(() -> registry.stub().publishVersion(PublishVersionRequest.newBuilder()
                                    .setProjectId(run.getProjectId()).setMetricId(metric.getId()).setVersion(version)
                                    .setActor(author).build()))
                            .onFailure().transform(Registry::translate)
                            .map(published -> decision.setPublished(true));
                });
    }

    /** Forks as {@code name}, then (only for a generated name) "name-2", "name-3"... while the name is taken. */
    private Uni<MetricWithVersion> forkNamed(AlignmentRun run, String base, int attemptsLeft, int attempt, String note,
            Author author) {
        String name = attempt == 1 ? base : base + "-" + attempt;
        return Contexts.onCallerContext(() -> registry.stub().forkMetric(ForkMetricRequest.newBuilder()
                        .setProjectId(run.getProjectId()).setSourceMetricId(run.getMetricId())
                        .setSourceVersion(run.getBaseVersion()).setName(name).setContent(run.getCandidate())
                        .setAuthor(author).setChangeNote(note).build()))
                .onFailure(e -> attemptsLeft > 1 && e instanceof StatusRuntimeException s
                        && s.getStatus().getCode() == Status.Code.ALREADY_EXISTS)
                .recoverWithUni(e -> forkNamed(run, base, attemptsLeft - 1, attempt + 1, note, author))
                .onFailure().transform(Registry::translate);
    }

    static String changeNote(AlignmentRun run, String given) {
        String note;
        if (given == null || given.isBlank()) {
            var v = run.getValidation();
            note = String.format("Alignment run %s: learned from %d disagreements; holdout agreement %.1f%% -> %.1f%% "
                            + "(lift %+.1f points, n=%d)", run.getId(), run.getCounts().getTrainDisagreements(),
                    100 * v.getBase().getAccuracy().getValue(), 100 * v.getCandidate().getAccuracy().getValue(),
                    v.getLiftPoints(), v.getHoldoutSize());
        } else {
            note = given.contains(run.getId()) ? given : given + " (alignment run " + run.getId() + ")";
        }
        return note.length() <= MAX_CHANGE_NOTE ? note : note.substring(0, MAX_CHANGE_NOTE - 40) + "... (alignment run "
                + run.getId() + ")";
    }
}
