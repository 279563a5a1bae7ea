package io.plumbline.alignment;

import static io.plumbline.alignment.Events.annotation;
import static io.plumbline.alignment.Events.bool;
import static io.plumbline.alignment.Events.evaluation;
import static io.plumbline.alignment.Events.id;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.alignment.v1.AlignmentGrpc.AlignmentBlockingStub;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.MetricAgreement;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.OutputType;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Agreement per metric version through gRPC, REST and the Prometheus endpoint, on events sent through Kafka. */
@QuarkusTest
class AgreementTest {

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();

    @GrpcClient("alignment")
    AlignmentBlockingStub alignment;

    @Test
    void agreementPerVersionMatchesTheLabelledPairs() {
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        try (var events = new Events()) {
            // version 1, (judge, expert): 4 x (T,T), 1 x (F,T), 2 x (T,F), 3 x (F,F) -> accuracy 0.7, kappa 0.4
            sendPairs(events, project, metricId, 1, 4, true, true);
            sendPairs(events, project, metricId, 1, 1, false, true);
            sendPairs(events, project, metricId, 1, 2, true, false);
            sendPairs(events, project, metricId, 1, 3, false, false);
            // version 2: 5 agreeing pairs
            sendPairs(events, project, metricId, 2, 5, true, true);
        }
        GetAgreementRequest request = GetAgreementRequest.newBuilder().setProjectId(project).setMetricId(metricId)
                .setIncludeDaily(true).build();
        // NOT_FOUND until the first event of the metric arrived
        await().atMost(Duration.ofSeconds(30)).ignoreException(StatusRuntimeException.class)
                .until(() -> pairs(alignment.getAgreement(request)) == 15);

        MetricAgreement agreement = alignment.getAgreement(request);
        assertEquals(List.of(2, 1), agreement.getVersionsList().stream().map(v -> v.getVersion()).toList());
        var v1 = agreement.getVersions(1).getOverall();
        assertEquals(10, v1.getN());
        assertEquals(3, v1.getDisagreements());
        assertEquals(0.7, v1.getAccuracy().getValue(), 1e-9);
        assertEquals(0.4, v1.getCohenKappa().getValue(), 1e-9);
        assertEquals(0.8, v1.getTruePositiveRate().getValue(), 1e-9);
        assertEquals(0.6, v1.getTrueNegativeRate().getValue(), 1e-9);
        assertEquals(0.95, v1.getAccuracy().getCi().getLevel(), 1e-12);
        assertEquals(1, agreement.getVersions(1).getDailyCount());
        assertEquals(v1, agreement.getVersions(1).getDaily(0).getStats());
        assertEquals(1.0, agreement.getVersions(0).getOverall().getAccuracy().getValue(), 1e-9);

        given().get("/api/v1/projects/" + project + "/metrics/" + metricId + "/agreement?version=1").then()
                .statusCode(200).body("versions[0].overall.accuracy.value", equalTo(0.7f));

        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/q/metrics").asString().lines().anyMatch(line ->
                line.startsWith("plumbline_agreement_accuracy{") && line.contains("metric=\"" + metricId + "\"")
                        && line.contains("version=\"1\"") && line.endsWith(" 0.7")));
    }

    @Test
    void badRequestsAreRefusedWithTheirField() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () -> alignment.getAgreement(
                GetAgreementRequest.newBuilder().setProjectId("p").setMetricId(id()).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        given().get("/api/v1/projects/p/metrics/" + id() + "/agreement?confidenceLevel=1.5").then().statusCode(400)
                .body("violations[0].field", equalTo("confidence_level"));
    }

    private static long pairs(MetricAgreement agreement) {
        return agreement.getVersionsList().stream().mapToLong(v -> v.getOverall().getN()).sum();
    }

    private static void sendPairs(Events events, String project, String metricId, int version, int count,
            boolean judge, boolean expert) {
        for (int i = 0; i < count; i++) {
            String evaluationId = id();
            events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, version, evaluationId, BOOLEAN, bool(judge)));
            events.send(Topic.ANNOTATIONS, metricId,
                    annotation(project, metricId, version, id(), evaluationId, bool(judge), bool(expert), 1));
        }
    }
}
