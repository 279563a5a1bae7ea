package io.plumbline.alignment.trigger;

import io.plumbline.alignment.disagreement.DisagreementService;
import io.plumbline.alignment.join.MetricSettings;
import io.plumbline.alignment.run.RunEntity;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.GetTriggerStatusRequest;
import io.plumbline.proto.alignment.v1.TriggerStatus;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Where a metric stands against its alignment policy: resolved disagreements on evaluations by its published version
 * against the policy's threshold (default 10), the active run, and the cooldown after the last one (the policy's, else
 * {@code plumbline.alignment.trigger.cooldown}). An empty waiting reason means a policy run is due.
 */
@ApplicationScoped
public class TriggerService {

    static final int DEFAULT_THRESHOLD = 10;

    private final DisagreementService disagreements;
    private final Duration defaultCooldown;

    TriggerService(DisagreementService disagreements,
            @ConfigProperty(name = "plumbline.alignment.trigger.cooldown", defaultValue = "1h") Duration defaultCooldown) {
        this.disagreements = disagreements;
        this.defaultCooldown = defaultCooldown;
    }

    @WithSession
    public Uni<TriggerStatus> status(GetTriggerStatusRequest request) {
        Violations v = new Violations();
        v.requireText(request.getProjectId(), "project_id", 64);
        UUID metricId = null;
        try {
            metricId = UUID.fromString(request.getMetricId());
        } catch (IllegalArgumentException e) {
            v.add("metric_id", "must be a metric id (a UUID) (was \"" + request.getMetricId() + "\")");
        }
        v.throwIfAny();
        UUID metric = metricId;
        return MetricSettings.<MetricSettings>findById(metric).chain(settings -> {
            if (settings == null || !(settings.builtin || settings.projectId.equals(request.getProjectId()))) {
                throw ApiException.notFound("metric " + request.getMetricId() + " of project \"" + request.getProjectId()
                        + "\" has not reached the alignment-service (no plumbline.metrics event yet)");
            }
            return status(settings);
        });
    }

    /** The status of a metric whose settings are known (inside a session). */
    Uni<TriggerStatus> status(MetricSettings settings) {
        AlignmentPolicy policy = ProtoJson.parse(settings.alignmentPolicyJson, AlignmentPolicy.getDefaultInstance());
        int threshold = policy.getDisagreementThreshold() > 0 ? policy.getDisagreementThreshold() : DEFAULT_THRESHOLD;
        AlignmentPolicy.Mode mode = policy.getMode() == AlignmentPolicy.Mode.MODE_UNSPECIFIED
                ? AlignmentPolicy.Mode.MODE_OFF : policy.getMode();
        Duration cooldown = policy.hasCooldown()
                ? Duration.ofSeconds(policy.getCooldown().getSeconds(), policy.getCooldown().getNanos()) : defaultCooldown;
        return disagreements.count(settings.projectId, settings.metricId, settings.publishedVersion, policy.getDeltaThreshold())
                .chain(count -> RunEntity.<RunEntity>find("metricId = ?1 and status in ?2", settings.metricId,
                                List.of(AlignmentRun.Status.STATUS_PENDING.name(), AlignmentRun.Status.STATUS_RUNNING.name()))
                        .firstResult()
                        .chain(active -> RunEntity.latest(settings.metricId).map(last -> {
                            var status = TriggerStatus.newBuilder()
                                    .setProjectId(settings.projectId)
                                    .setMetricId(settings.metricId.toString())
                                    .setMode(mode)
                                    .setCurrentVersion(settings.publishedVersion)
                                    .setDisagreementsSinceCurrentVersion(count)
                                    .setThreshold(threshold);
                            OffsetDateTime cooldownUntil = null;
                            if (last != null) {
                                status.setLastRunId(last.id.toString());
                                AlignmentRun run = last.proto();
                                if (run.hasFinishTime()) {
                                    cooldownUntil = ProtoJson.offsetDateTime(run.getFinishTime()).plus(cooldown);
                                    if (cooldownUntil.isAfter(ProtoJson.now())) {
                                        status.setCooldownUntil(ProtoJson.timestamp(cooldownUntil));
                                    } else {
                                        cooldownUntil = null;
                                    }
                                }
                            }
                            if (active != null) {
                                status.setActiveRunId(active.id.toString());
                            }
                            return status.setWaitingReason(waitingReason(mode, count, threshold, active, cooldownUntil))
                                    .build();
                        })));
    }

    private static String waitingReason(AlignmentPolicy.Mode mode, long count, int threshold, RunEntity active,
            OffsetDateTime cooldownUntil) {
        if (mode == AlignmentPolicy.Mode.MODE_OFF) {
            return "policy off";
        }
        if (active != null) {
            return "run " + active.id + " is " + active.status.replace("STATUS_", "").toLowerCase();
        }
        if (count < threshold) {
            return count + " of " + threshold + " disagreements";
        }
        if (cooldownUntil != null) {
            return "cooldown until " + cooldownUntil;
        }
        return "";
    }
}
