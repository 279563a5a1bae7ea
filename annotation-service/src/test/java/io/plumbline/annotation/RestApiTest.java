package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

/** The REST API has the gRPC API's semantics, in the proto3 JSON mapping, with the caller named by X-API-Key. */
@QuarkusTest
class RestApiTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    @Test
    void aReviewerPullsAnItemAndResolvesItOverRest() {
        String project = newProject();
        String metric = newMetric();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, metric, BOOLEAN, bool(true)).get(0);
        String base = "/api/v1/projects/" + project;

        given().header("X-API-Key", "key-dave").get(base + "/me").then().statusCode(200).body("id", equalTo("dave"));
        given().header("X-API-Key", "key-dave").contentType(ContentType.JSON).body("{\"metricId\": \"" + metric + "\"}")
                .post(base + "/next-item").then().statusCode(200)
                .body("item.id", equalTo(item.getId()))
                .body("item.snapshot.input", equalTo("Can I take ibuprofen with coffee?"))
                .body("leaseExpireTime", notNullValue());
        given().header("X-API-Key", "key-dave").contentType(ContentType.JSON)
                .body("{\"verdict\": \"VERDICT_INCORRECT\", \"expectedValue\": {\"boolean\": false},"
                        + " \"critique\": \"" + Fixtures.GOOD_CRITIQUE + "\", \"tags\": [\"unsafe-advice\"]}")
                .post(base + "/items/" + item.getId() + "/feedback").then().statusCode(200)
                .body("item.status", equalTo("STATUS_RESOLVED"))
                .body("feedback.tags[0]", equalTo("unsafe-advice"));
        given().header("X-API-Key", "key-dave").get(base + "/annotations?metricId=" + metric).then().statusCode(200)
                .body("annotations", hasSize(1))
                .body("annotations[0].expectedValue.boolean", equalTo(false))
                .body("annotations[0].reviewerIds", hasItem("dave"));
        given().header("X-API-Key", "key-dave").get(base + "/queues?metricId=" + metric).then().statusCode(200)
                .body("queues[0].counts.resolved", equalTo("1"))
                .body("queues[0].counts.judgeIncorrect", equalTo("1"));
    }

    @Test
    void refusalsAreProblemBodiesWithTheMirroredStatus() {
        String project = newProject();
        String base = "/api/v1/projects/" + project;
        given().get(base + "/me").then().statusCode(401).contentType("application/problem+json")
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("X-API-Key", "key-outsider").get(base + "/me").then().statusCode(403)
                .body("code", equalTo("PERMISSION_DENIED"));
        given().header("X-API-Key", "key-bob").get(base + "/items/" + java.util.UUID.randomUUID()).then().statusCode(404);

        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), BOOLEAN, bool(true)).get(0);
        given().header("X-API-Key", "key-bob").contentType(ContentType.JSON)
                .body("{\"verdict\": \"VERDICT_INCORRECT\", \"expectedValue\": {\"boolean\": false}, \"critique\": \"wrong\"}")
                .post(base + "/items/" + item.getId() + "/feedback").then().statusCode(400)
                .contentType("application/problem+json")
                .body("code", equalTo("INVALID_ARGUMENT"))
                .body("violations[0].field", equalTo("critique"))
                .body("violations[0].rule", containsString("say what the value should have been and why"));
        given().header("X-API-Key", "key-bob").contentType(ContentType.JSON).body("{\"verdict\": \"VERDICT_CORRECT\"}")
                .post(base + "/items/" + item.getId() + "/feedback").then().statusCode(200);
        given().header("X-API-Key", "key-carol").contentType(ContentType.JSON).body("{\"verdict\": \"VERDICT_CORRECT\"}")
                .post(base + "/items/" + item.getId() + "/feedback").then().statusCode(412)
                .body("code", equalTo("FAILED_PRECONDITION"));
        given().header("X-API-Key", "key-bob").contentType(ContentType.JSON).body("{\"nmae\": \"x\"}")
                .post(base + "/queues").then().statusCode(400).body("violations[0].rule", containsString("nmae"));
    }
}
