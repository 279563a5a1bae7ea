package io.plumbline.registry;

import static io.plumbline.registry.Fixtures.newProject;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

/** The REST API has the gRPC API's semantics, in the proto3 JSON mapping. */
@QuarkusTest
class RestApiTest {

    static final String CREATE = """
            {"name": "%s", "level": "LEVEL_SPAN", "outputType": {"percentage": {}},
             "judgeModel": {"provider": "openai", "model": "gpt-4o-mini"},
             "content": {"promptTemplate": "Score {{output}} against {{context}}. {{output_format}}"},
             "author": {"user": "alice@example.com"}}""";

    @Test
    void lifecycleOverRest() {
        String project = newProject();
        String base = "/api/v1/projects/" + project + "/metrics";
        String id = given().contentType(ContentType.JSON).body(CREATE.formatted("grounded"))
                .post(base).then().statusCode(200)
                .body("metric.name", equalTo("grounded"))
                .body("metric.projectId", equalTo(project))
                .body("version.version", equalTo(1))
                .extract().path("metric.id");

        given().contentType(ContentType.JSON).body("""
                {"parentVersion": 1, "changeNote": "Cite sources", "author": {"user": "bob@example.com"},
                 "content": {"promptTemplate": "Score {{output}} against {{context}}. {{guidelines}}",
                             "guidelines": [{"text": "Unsupported numbers are not grounded", "sourceAnnotationIds": ["a-1"]}]}}""")
                .post(base + "/" + id + "/versions").then().statusCode(200)
                .body("version", equalTo(2))
                .body("guidelines[0].sourceAnnotationIds[0]", equalTo("a-1"));

        given().contentType(ContentType.JSON).body("{\"actor\": {\"user\": \"bob@example.com\"}}")
                .post(base + "/" + id + "/versions/2/publish").then().statusCode(200)
                .body("publishedVersion", equalTo(2));
        given().get(base + "/" + id + "/published").then().statusCode(200)
                .body("version.version", equalTo(2));
        given().get(base + "/" + id + "/diff?from=1&to=2").then().statusCode(200)
                .body("guidelinesDiff", containsString("+- Unsupported numbers are not grounded"));
        given().contentType(ContentType.JSON).body("{\"actor\": {\"user\": \"alice@example.com\"}}")
                .post(base + "/" + id + "/versions/1/revert").then().statusCode(200)
                .body("version.version", equalTo(3))
                .body("metric.publishedVersion", equalTo(3));
        given().get(base + "/" + id + "/versions?pageSize=2").then().statusCode(200)
                .body("versions", hasSize(2))
                .body("nextPageToken", notNullValue());
        given().get(base + "/" + id + "/publications").then().statusCode(200)
                .body("publications[0].kind", equalTo("KIND_REVERT"));
        given().get(base + "?excludeBuiltin=true").then().statusCode(200)
                .body("metrics.name", hasItem("grounded"));
    }

    @Test
    void invalidRequestIsA400ProblemNamingTheFields() {
        given().contentType(ContentType.JSON).body(CREATE.formatted("Not Valid").replace("{{output}}", "{{outptu}}"))
                .post("/api/v1/projects/" + newProject() + "/metrics").then().statusCode(400)
                .contentType("application/problem+json")
                .body("code", equalTo("INVALID_ARGUMENT"))
                .body("violations.field", hasItem("name"));
    }

    @Test
    void unknownJsonFieldIsA400() {
        given().contentType(ContentType.JSON).body("{\"nmae\": \"x\"}")
                .post("/api/v1/projects/" + newProject() + "/metrics").then().statusCode(400)
                .body("violations[0].field", equalTo("body"))
                .body("violations[0].rule", containsString("nmae"));
    }

    @Test
    void errorsMirrorTheGrpcCodes() {
        String project = newProject();
        String base = "/api/v1/projects/" + project + "/metrics";
        given().get(base + "/0b6a4b4e-1111-4000-8000-000000000000").then().statusCode(404)
                .body("code", equalTo("NOT_FOUND"));
        String id = given().contentType(ContentType.JSON).body(CREATE.formatted("dupe")).post(base)
                .then().statusCode(200).extract().path("metric.id");
        given().contentType(ContentType.JSON).body(CREATE.formatted("dupe")).post(base).then().statusCode(409)
                .body("code", equalTo("ALREADY_EXISTS"));
        String version = """
                {"parentVersion": 7, "changeNote": "x", "author": {"user": "a"},
                 "content": {"promptTemplate": "{{output}}"}}""";
        given().contentType(ContentType.JSON).body(version).post(base + "/" + id + "/versions").then().statusCode(409)
                .body("code", equalTo("ABORTED"))
                .body("details.head_version", equalTo("1"));
        given().contentType(ContentType.JSON).body(version.replace("7", "1"))
                .post(base + "/00000000-0000-4000-8000-000000000001/versions").then().statusCode(412)
                .body("code", equalTo("FAILED_PRECONDITION"));
    }

    @Test
    void openApiDocumentIsServed() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths", notNullValue())
                .body(containsString("/api/v1/projects/{project}/metrics/{metric}/versions"));
    }
}
