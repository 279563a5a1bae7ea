package io.plumbline.alignment;

import static io.plumbline.alignment.Events.annotation;
import static io.plumbline.alignment.Events.bool;
import static io.plumbline.alignment.Events.evaluation;
import static io.plumbline.alignment.Events.id;
import static io.plumbline.alignment.Events.metric;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.alignment.v1.AlignmentGrpc.AlignmentBlockingStub;
import io.plumbline.proto.alignment.v1.GetTriggerStatusRequest;
import io.plumbline.proto.alignment.v1.TriggerStatus;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Disagreements on the current version are counted against the metric's policy threshold. */
@QuarkusTest
class TriggerStatusTest {

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();

    @GrpcClient("alignment")
    AlignmentBlockingStub alignment;

    @Test
    void disagreementsOnTheCurrentVersionCountTowardsTheThreshold() {
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        var request = GetTriggerStatusRequest.newBuilder().setProjectId(project).setMetricId(metricId).build();
        try (var events = new Events()) {
            events.send(Topic.METRICS, metricId, metric(project, metricId, BOOLEAN, AlignmentPolicy.newBuilder()
                    .setMode(AlignmentPolicy.Mode.MODE_PROPOSE).setDisagreementThreshold(3).build(), 2));
            disagree(events, project, metricId, 1); // an older version: does not count
            disagree(events, project, metricId, 2);
            disagree(events, project, metricId, 2);
            TriggerStatus status = await().atMost(Duration.ofSeconds(30)).until(() -> statusOrNull(request),
                    s -> s != null && s.getDisagreementsSinceCurrentVersion() == 2);
            assertEquals(AlignmentPolicy.Mode.MODE_PROPOSE, status.getMode());
            assertEquals(2, status.getCurrentVersion());
            assertEquals(3, status.getThreshold());
            assertEquals("2 of 3 disagreements", status.getWaitingReason());

            disagree(events, project, metricId, 2);
            // Nothing to wait for: the policy starts a run (this metric is not in the registry, so it is refused there).
            await().atMost(Duration.ofSeconds(30)).until(() -> alignment.getTriggerStatus(request)
                    .getWaitingReason().isEmpty());
        }
    }

    @Test
    void aMetricWithoutPolicyIsOffWithTheDefaultThreshold() {
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        var request = GetTriggerStatusRequest.newBuilder().setProjectId(project).setMetricId(metricId).build();
        try (var events = new Events()) {
            events.send(Topic.METRICS, metricId, metric(project, metricId, BOOLEAN, 0));
        }
        TriggerStatus status = await().atMost(Duration.ofSeconds(30)).until(() -> statusOrNull(request), s -> s != null);
        assertEquals(AlignmentPolicy.Mode.MODE_OFF, status.getMode());
        assertEquals(10, status.getThreshold());
        assertEquals("policy off", status.getWaitingReason());
    }

    @Test
    void anUnknownMetricIsNotFound() {
        var e = assertThrows(StatusRuntimeException.class, () -> alignment.getTriggerStatus(
                GetTriggerStatusRequest.newBuilder().setProjectId("p").setMetricId(id()).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    private TriggerStatus statusOrNull(GetTriggerStatusRequest request) {
        try {
            return alignment.getTriggerStatus(request);
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    private static void disagree(Events events, String project, String metricId, int version) {
        String evaluationId = id();
        events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, version, evaluationId, BOOLEAN, bool(true)));
        events.send(Topic.ANNOTATIONS, metricId,
                annotation(project, metricId, version, id(), evaluationId, bool(true), bool(false), 1));
    }
}
