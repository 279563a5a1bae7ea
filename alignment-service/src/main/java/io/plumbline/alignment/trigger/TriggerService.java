package io.plumbline.alignment.trigger;

import io.plumbline.alignment.disagreement.DisagreementService;
import io.plumbline.alignment.join.MetricSettings;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.alignment.v1.GetTriggerStatusRequest;
import io.plumbline.proto.alignment.v1.TriggerStatus;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * Where a metric stands against its alignment policy: resolved disagreements on evaluations by its published version
 * against the policy's threshold (default 10). Starting runs from it comes with alignment runs; until then a metric
 * whose threshold is reached says so in its waiting reason.
 */
@ApplicationScoped
public class TriggerService {

    static final int DEFAULT_THRESHOLD = 10;

    private final DisagreementService disagreements;

    TriggerService(DisagreementService disagreements) {
        this.disagreements = disagreements;
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
            AlignmentPolicy policy = ProtoJson.parse(settings.alignmentPolicyJson, AlignmentPolicy.getDefaultInstance());
            int threshold = policy.getDisagreementThreshold() > 0 ? policy.getDisagreementThreshold() : DEFAULT_THRESHOLD;
            AlignmentPolicy.Mode mode = policy.getMode() == AlignmentPolicy.Mode.MODE_UNSPECIFIED
                    ? AlignmentPolicy.Mode.MODE_OFF : policy.getMode();
            return disagreements.count(request.getProjectId(), metric, settings.publishedVersion, policy.getDeltaThreshold())
                    .map(count -> TriggerStatus.newBuilder()
                            .setProjectId(request.getProjectId())
                            .setMetricId(request.getMetricId())
                            .setMode(mode)
                            .setCurrentVersion(settings.publishedVersion)
                            .setDisagreementsSinceCurrentVersion(count)
                            .setThreshold(threshold)
                            .setWaitingReason(waitingReason(mode, count, threshold))
                            .build());
        });
    }

    private static String waitingReason(AlignmentPolicy.Mode mode, long count, int threshold) {
        if (mode == AlignmentPolicy.Mode.MODE_OFF) {
            return "policy off";
        }
        if (count < threshold) {
            return count + " of " + threshold + " disagreements";
        }
        return "threshold reached; alignment runs are not available in this version of the alignment-service";
    }
}
