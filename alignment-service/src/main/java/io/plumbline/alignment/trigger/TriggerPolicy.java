package io.plumbline.alignment.trigger;

import io.plumbline.alignment.join.MetricSettings;
import io.plumbline.alignment.run.RunService;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.StartRunRequest;
import io.plumbline.proto.alignment.v1.TriggerStatus;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Starts policy runs: every {@code plumbline.alignment.trigger.interval}, each metric under PROPOSE or AUTO_PUBLISH whose
 * trigger status has nothing to wait for (threshold reached, no active run, cooldown over) gets a run (trigger POLICY).
 * The one-active-run rule holds in the database, so a start racing a person's is refused, not doubled.
 */
@ApplicationScoped
public class TriggerPolicy {

    private static final Logger LOG = Logger.getLogger(TriggerPolicy.class);

    private final TriggerService triggers;
    private final RunService runs;

    TriggerPolicy(TriggerService triggers, RunService runs) {
        this.triggers = triggers;
        this.runs = runs;
    }

    @Scheduled(every = "${plumbline.alignment.trigger.interval:10s}", delayed = "${plumbline.alignment.trigger.interval:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> check() {
        return Panache.withSession(() -> MetricSettings.<MetricSettings>find(
                                "alignmentPolicyJson like '%MODE_PROPOSE%' or alignmentPolicyJson like '%MODE_AUTO_PUBLISH%'")
                        .list()
                        .chain(metrics -> Multi.createFrom().iterable(metrics)
                                .onItem().transformToUniAndConcatenate(triggers::status)
                                .collect().asList()))
                .chain(statuses -> Multi.createFrom().iterable(due(statuses))
                        .onItem().transformToUniAndConcatenate(this::start)
                        .collect().last())
                .replaceWithVoid();
    }

    private static List<TriggerStatus> due(List<TriggerStatus> statuses) {
        return statuses.stream().filter(s -> s.getWaitingReason().isEmpty()).toList();
    }

    private Uni<Void> start(TriggerStatus status) {
        return runs.start(StartRunRequest.newBuilder().setProjectId(status.getProjectId())
                        .setMetricId(status.getMetricId()).build(), AlignmentRun.Trigger.TRIGGER_POLICY)
                .invoke(run -> LOG.infof("policy run %s of metric %s started (%d disagreements since version %d)",
                        run.getId(), status.getMetricId(), status.getDisagreementsSinceCurrentVersion(),
                        status.getCurrentVersion()))
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf("policy run of metric %s not started: %s", status.getMetricId(), failure.getMessage());
                    return null;
                })
                .replaceWithVoid();
    }
}
