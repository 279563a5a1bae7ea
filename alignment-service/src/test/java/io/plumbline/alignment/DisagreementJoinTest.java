package io.plumbline.alignment;

import static io.plumbline.alignment.Events.annotation;
import static io.plumbline.alignment.Events.bool;
import static io.plumbline.alignment.Events.evaluation;
import static io.plumbline.alignment.Events.id;
import static io.plumbline.alignment.Events.metric;
import static io.plumbline.alignment.Events.percentage;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.alignment.v1.AlignmentGrpc.AlignmentBlockingStub;
import io.plumbline.proto.alignment.v1.Disagreement;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.PercentageType;
import io.plumbline.testing.KafkaTestConsumer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Evaluations and resolved annotations join whichever arrives first, and disagreements follow the metric's rules. */
@QuarkusTest
class DisagreementJoinTest {

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();
    static final OutputType PERCENTAGE = OutputType.newBuilder().setPercentage(PercentageType.getDefaultInstance()).build();
    static final Duration ARRIVAL = Duration.ofSeconds(30);

    static Events events;

    @GrpcClient("alignment")
    AlignmentBlockingStub alignment;

    @BeforeAll
    static void producer() {
        events = new Events();
    }

    @AfterAll
    static void close() {
        events.close();
    }

    @Test
    void anAnnotationArrivingBeforeItsEvaluationJoinsOnceBothAreThere() {
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        String evaluationId = id();
        String annotationId = id();
        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, annotationId, evaluationId, bool(true),
                bool(false), 1));
        // A complete pair on the same key (same partitions) behind it: once it joined, the first annotation was stored.
        sendDisagreeingPair(project, metricId);
        awaitDisagreements(project, metricId, 1);

        events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, evaluationId, BOOLEAN, bool(true)));
        awaitDisagreements(project, metricId, 2);
        Disagreement d = disagreements(project, metricId).stream()
                .filter(x -> x.getAnnotationId().equals(annotationId)).findFirst().orElseThrow();
        assertEquals(evaluationId, d.getEvaluationId());
        assertEquals(bool(true), d.getJudgeValue());
        assertEquals(bool(false), d.getExpectedValue());
        assertTrue(d.getCritiques(0).getCritique().contains("30 days"));
        assertEquals("Can I get a refund after 40 days?", alignment.listDisagreements(request(project, metricId)
                .setIncludeSnapshots(true).build()).getDisagreements(0).getSnapshot().getInput());

        var first = alignment.listDisagreements(request(project, metricId).setPageSize(1).build());
        var second = alignment.listDisagreements(request(project, metricId).setPageSize(1)
                .setPageToken(first.getNextPageToken()).build());
        assertEquals(2, java.util.stream.Stream.of(first, second).flatMap(p -> p.getDisagreementsList().stream())
                .map(Disagreement::getAnnotationId).distinct().count(), "two pages, no repeats");
        assertEquals("", second.getNextPageToken());
    }

    @Test
    void anEvaluationArrivingFirstJoinsItsLaterAnnotation() {
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        sendDisagreeingPair(project, metricId);
        assertEquals(1, awaitDisagreements(project, metricId, 1).size());
    }

    @Test
    void agreementsAndNumericValuesWithinTheDeltaAreNotDisagreements() {
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        events.send(Topic.METRICS, metricId, metric(project, metricId, PERCENTAGE, 10));
        String agreeing = id();
        String within = id();
        String beyond = id();
        events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, agreeing, PERCENTAGE, percentage(60)));
        events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, within, PERCENTAGE, percentage(60)));
        events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, beyond, PERCENTAGE, percentage(60)));
        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, id(), agreeing, percentage(60), percentage(60), 1));
        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, id(), within, percentage(60), percentage(68), 1));
        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, id(), beyond, percentage(60), percentage(80), 1));

        // The annotations of one metric share a partition: once the last one counts, the others were judged too.
        Disagreement d = awaitDisagreements(project, metricId, 1).get(0);
        assertEquals(beyond, d.getEvaluationId());
        assertEquals(20.0, d.getDelta(), 1e-9);
        assertEquals(0, alignment.listDisagreements(request(project, metricId).setDeltaThreshold(25).build())
                .getDisagreementsCount(), "a wider threshold in the request wins over the metric's");
        assertEquals(2, alignment.listDisagreements(request(project, metricId).setDeltaThreshold(5).build())
                .getDisagreementsCount());
    }

    @Test
    void aLaterRevisionReplacesTheResolutionAndALateOlderOneIsIgnored() {
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        String evaluationId = id();
        String annotationId = id();
        events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, evaluationId, BOOLEAN, bool(true)));
        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, annotationId, evaluationId, bool(true), bool(false), 1));
        awaitDisagreements(project, metricId, 1);

        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, annotationId, evaluationId, bool(true), bool(true), 2));
        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, annotationId, evaluationId, bool(true), bool(false), 1));
        String marker = id();
        events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, marker, BOOLEAN, bool(true)));
        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, id(), marker, bool(true), bool(false), 1));
        List<Disagreement> now = awaitDisagreements(project, metricId, 1);
        assertEquals(marker, now.get(0).getEvaluationId(), "revision 2 agrees with the judge; the late revision 1 changed nothing");
    }

    @Test
    void poisonRecordsGoToTheDeadLetterTopicWithTheReasonAndTheConsumerGoesOn() {
        try (var dlq = KafkaTestConsumer.fromNow(Topic.ANNOTATIONS.deadLetterTopicName())) {
            String project = "p-" + id().substring(0, 8);
            String metricId = id();
            events.send(Topic.ANNOTATIONS, metricId, new byte[] {(byte) 0xff, 0x01, 0x02});
            events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, "not-a-uuid", id(), bool(true), bool(false), 1));
            sendDisagreeingPair(project, metricId);
            awaitDisagreements(project, metricId, 1);

            var dead = dlq.awaitCount(2, ARRIVAL);
            String reasons = dead.stream().map(r -> KafkaTestConsumer.header(r, "dead-letter-reason")).toList().toString();
            assertTrue(reasons.contains("not a plumbline.annotation.v1.AnnotationEvent"), reasons);
            assertTrue(reasons.contains("annotation.id must be a UUID"), reasons);
        }
    }

    @Test
    void restListsTheSameDisagreementsAndRefusesABadMetricId() {
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        sendDisagreeingPair(project, metricId);
        awaitDisagreements(project, metricId, 1);
        given().get("/api/v1/projects/" + project + "/metrics/" + metricId + "/disagreements").then().statusCode(200)
                .body("disagreements[0].expectedValue.boolean", equalTo(false));
        given().get("/api/v1/projects/" + project + "/metrics/nope/disagreements").then().statusCode(400)
                .body("violations[0].field", equalTo("metric_id"))
                .body("detail", containsString("UUID"));
    }

    private void sendDisagreeingPair(String project, String metricId) {
        String evaluationId = id();
        events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, evaluationId, BOOLEAN, bool(true)));
        events.send(Topic.ANNOTATIONS, metricId, annotation(project, metricId, id(), evaluationId, bool(true), bool(false), 1));
    }

    private List<Disagreement> awaitDisagreements(String project, String metricId, int count) {
        await().atMost(ARRIVAL).until(() -> disagreements(project, metricId).size() >= count);
        return disagreements(project, metricId);
    }

    private List<Disagreement> disagreements(String project, String metricId) {
        return alignment.listDisagreements(request(project, metricId).build()).getDisagreementsList();
    }

    private static ListDisagreementsRequest.Builder request(String project, String metricId) {
        return ListDisagreementsRequest.newBuilder().setProjectId(project).setMetricId(metricId);
    }
}
