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
}
