package io.plumbline.judge.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import io.plumbline.judge.StreamFixture;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Reply;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST twins of the Judge rpcs: the same messages in JSON, the same refusals as HTTP statuses. */
@QuarkusTest
class JudgeRestApiTest {

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    LlmStandIn llm;
    StreamFixture stream;

    @BeforeEach
    void start() {
        llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
        llm.byDefault(Reply.judgment(false, "Not grounded."));
        stream = new StreamFixture(judge);
    }

    @AfterEach
    void stop() {
        stream.close();
        llm.close();
    }

    @Test
    void evaluateStoreGetAndListOverRest() {
        String metricId = stream.publish("rest-groundedness", Level.LEVEL_SPAN, StreamFixture.all("spans"));
        String base = "/api/v1/projects/" + stream.project;
        String id = given().contentType("application/json").body("""
                        {"metricVersion": {"metricId": "%s"}, "store": true,
                         "items": [{"key": "a1", "snapshot": {"record": {"level": "LEVEL_SPAN", "recordId": "rest-trace/rest-span"},
                                                       "input": "Where is Lisbon?", "output": "In Spain."}}]}"""
                        .formatted(metricId))
                .post(base + "/evaluate")
                .then().statusCode(200)
                .body("results[0].key", equalTo("a1"))
                .body("results[0].evaluation.status", equalTo("STATUS_OK"))
                .body("results[0].evaluation.value.boolean", equalTo(false))
                .extract().path("results[0].evaluation.id");

        given().get(base + "/evaluations/" + id).then().statusCode(200)
                .body("id", equalTo(id)).body("reasoning", equalTo("Not grounded."));
        given().get(base + "/evaluations/" + id + "/snapshot").then().statusCode(200).body("output", equalTo("In Spain."));
        given().queryParam("metricId", metricId).queryParam("origins", "ORIGIN_AD_HOC").get(base + "/evaluations")
                .then().statusCode(200).body("evaluations", hasSize(1)).body("evaluations[0].id", equalTo(id));
        given().queryParam("metricId", metricId).queryParam("origins", "ORIGIN_STREAM").get(base + "/evaluations")
                .then().statusCode(200).body("evaluations", nullValue()); // proto3 JSON leaves an empty list out

        // The same refusals as gRPC: NOT_FOUND -> 404, INVALID_ARGUMENT -> 400.
        given().get(base + "/evaluations/" + UUID.randomUUID()).then().statusCode(404);
        given().get("/api/v1/projects/another-project/evaluations/" + id).then().statusCode(404);
        given().get(base + "/evaluations/not-a-uuid").then().statusCode(400);
        given().queryParam("level", "LEVEL_GALAXY").get(base + "/evaluations").then().statusCode(400);
        given().queryParam("date", "yesterday").get(base + "/budget-usage").then().statusCode(400);
        given().get(base + "/budget-usage").then().statusCode(200);
    }

    @Test
    void recomputeJobsBatchGetAndTheRecordTimeFilterOverRest() {
        String metricId = stream.publish("rest-recompute", Level.LEVEL_SPAN, StreamFixture.all("spans"));
        String base = "/api/v1/projects/" + stream.project;
        String earlyTrace = io.plumbline.judge.OtlpSpans.newTraceId();
        var early = StreamFixture.chat(earlyTrace, null, "Where is Lisbon?", "In Portugal.")
                .setEndTimeUnixNano(io.plumbline.judge.OtlpSpans.START + 1_000_000_000L);
        String lateTrace = io.plumbline.judge.OtlpSpans.newTraceId();
        var late = StreamFixture.chat(lateTrace, null, "Where is Porto?", "In Portugal too.")
                .setEndTimeUnixNano(io.plumbline.judge.OtlpSpans.START + 60_000_000_000L);
        stream.send(early);
        stream.send(late);
        String earlyId = earlyTrace + "/" + StreamFixture.spanId(early);
        var judged = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> stream.evaluations(metricId), list -> list.size() == 2);
        String earlyEvaluation = judged.stream().filter(e -> e.getRecord().getRecordId().equals(earlyId)).findFirst()
                .orElseThrow().getId();
        String missing = UUID.randomUUID().toString();

        given().contentType("application/json").body("""
                        {"evaluationIds": ["%s", "%s"], "includeSnapshots": true}""".formatted(earlyEvaluation, missing))
                .post(base + "/evaluations/batch-get")
                .then().statusCode(200)
                .body("evaluations", hasSize(1))
                .body("evaluations[0].evaluation.id", equalTo(earlyEvaluation))
                .body("evaluations[0].snapshot.output", equalTo("In Portugal."))
                .body("missingIds[0]", equalTo(missing));
        given().contentType("application/json").body("{}").post(base + "/evaluations/batch-get").then().statusCode(400);

        // record time: the early span ended at START + 1 s, the late one a minute after START
        String start = java.time.Instant.ofEpochSecond(0, io.plumbline.judge.OtlpSpans.START).toString();
        String halfMinute = java.time.Instant.ofEpochSecond(0, io.plumbline.judge.OtlpSpans.START + 30_000_000_000L)
                .toString();
        given().queryParam("metricId", metricId).queryParam("recordTime.startTime", start)
                .queryParam("recordTime.endTime", halfMinute).get(base + "/evaluations")
                .then().statusCode(200).body("evaluations", hasSize(1)).body("evaluations[0].id", equalTo(earlyEvaluation));
        given().queryParam("metricId", metricId).queryParam("recordTime.startTime", halfMinute).get(base + "/evaluations")
                .then().statusCode(200).body("evaluations", hasSize(1))
                .body("evaluations[0].record.recordId", equalTo(lateTrace + "/" + StreamFixture.spanId(late)));
        given().queryParam("recordTime.startTime", "yesterday").get(base + "/evaluations").then().statusCode(400);

        String scope = """
                {"metricVersion": {"metricId": "%s", "version": 1}, "records": {"recordIds": ["%s", "no-such/record"]}}"""
                .formatted(metricId, earlyId);
        given().contentType("application/json").body("{\"scope\": " + scope + "}").post(base + "/recompute-jobs/estimate")
                .then().statusCode(200)
                .body("records", equalTo("2")) // int64 in the proto3 JSON mapping
                .body("alreadyEvaluated", equalTo("1"))
                .body("unknownRecordIds[0]", equalTo("no-such/record"));
        String job = given().contentType("application/json")
                .body("{\"scope\": " + scope + ", \"requestId\": \"rest-1\", \"requestedBy\": \"ana\"}")
                .post(base + "/recompute-jobs")
                .then().statusCode(200).body("requestedBy", equalTo("ana")).extract().path("id");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> "STATUS_SUCCEEDED".equals(
                given().get(base + "/recompute-jobs/" + job).then().statusCode(200).extract().path("status")));
        given().get(base + "/recompute-jobs/" + job).then().body("skipped", equalTo("1")).body("missing", equalTo("1"))
                .body("processed", equalTo("2"));
        given().contentType("application/json")
                .body("{\"scope\": " + scope + ", \"requestId\": \"rest-1\"}").post(base + "/recompute-jobs")
                .then().statusCode(200).body("id", equalTo(job));
        given().queryParam("statuses", "STATUS_SUCCEEDED").get(base + "/recompute-jobs")
                .then().statusCode(200).body("jobs", hasSize(1)).body("jobs[0].id", equalTo(job));
        given().contentType("application/json").body("{\"cancelledBy\": \"bo\"}")
                .post(base + "/recompute-jobs/" + job + "/cancel")
                .then().statusCode(200).body("status", equalTo("STATUS_SUCCEEDED")).body("cancelledBy", nullValue());

        given().get(base + "/recompute-jobs/" + UUID.randomUUID()).then().statusCode(404);
        given().get(base + "/recompute-jobs/job-1").then().statusCode(400);
        given().contentType("application/json").body("{}").post(base + "/recompute-jobs/estimate").then().statusCode(400);
        given().queryParam("statuses", "STATUS_SOMEDAY").get(base + "/recompute-jobs").then().statusCode(400);
        given().contentType("application/json").body("{\"scope\": {\"metricVersion\": {\"metricId\": \"" + UUID.randomUUID()
                        + "\"}, \"records\": {\"recordIds\": [\"r\"]}}}")
                .post(base + "/recompute-jobs").then().statusCode(404);
    }
}
