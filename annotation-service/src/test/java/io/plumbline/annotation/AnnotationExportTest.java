package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.ExportAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ExportChunk;
import io.plumbline.proto.annotation.v1.LabelFormat;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Resolved annotations leave as CSV (gRPC stream of chunks) and JSONL (REST download). */
@QuarkusTest
class AnnotationExportTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    @Test
    void resolvedAnnotationsExportAsCsvAndJsonLines() throws Exception {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(true), bool(true));
        String critique = "Should be flagged, \"800 mg\" is a dosage given without any disclaimer";
        as(stub, "key-bob").submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                .setItemId(items.get(0).getId()).setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(bool(false))
                .setCritique(critique).addTags("unsafe-advice").build());
        as(stub, "key-bob").submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                .setItemId(items.get(1).getId()).setVerdict(Verdict.VERDICT_CORRECT).build());

        ByteArrayOutputStream file = new ByteArrayOutputStream();
        List<ExportChunk> chunks = new ArrayList<>();
        root.exportAnnotations(ExportAnnotationsRequest.newBuilder().setProjectId(project).setMetricId(metric)
                .setFormat(LabelFormat.LABEL_FORMAT_CSV).build()).forEachRemaining(chunk -> {
                    chunks.add(chunk);
                    file.writeBytes(chunk.getData().toByteArray());
                });
        assertTrue(chunks.get(chunks.size() - 1).getLast());
        assertEquals(2, chunks.get(chunks.size() - 1).getTotalRows(), "the open item is not exported");
        List<String> lines = file.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals("annotation_id,evaluation_id,record_id,level,trace_id,span_id,session_id,metric_id,metric_version,"
                + "judge_value,judge_reasoning,expected_value,judge_correct,rule,reviewers,critiques,resolve_time,"
                + "update_time", lines.get(0));
        assertEquals(3, lines.size());
        String incorrect = lines.stream().filter(l -> l.contains(items.get(0).getEvaluation().getId())).findFirst()
                .orElseThrow();
        assertTrue(incorrect.contains(",true,"), "the judge's value");
        assertTrue(incorrect.contains(",false,false,RESOLUTION_RULE_MAJORITY,bob,"), incorrect);
        assertTrue(incorrect.contains("\\\"\"800 mg\\\"\""), "the critique, JSON inside a quoted CSV field: " + incorrect);

        String jsonl = given().header("X-API-Key", "key-root")
                .get("/api/v1/projects/" + project + "/annotations/export?format=jsonl&metricId=" + metric)
                .then().statusCode(200).contentType("application/x-ndjson").extract().asString();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : jsonl.lines().toList()) {
            rows.add(new ObjectMapper().readTree(line));
        }
        assertEquals(2, rows.size());
        JsonNode wrong = rows.stream().filter(r -> r.get("evaluation_id").asText()
                .equals(items.get(0).getEvaluation().getId())).findFirst().orElseThrow();
        assertTrue(wrong.get("judge_value").asBoolean());
        assertEquals(false, wrong.get("expected_value").asBoolean());
        assertEquals(false, wrong.get("judge_correct").asBoolean());
        assertEquals(3, wrong.get("metric_version").asInt());
        assertEquals("bob", wrong.get("reviewers").get(0).asText());
        assertEquals(critique, wrong.get("critiques").get(0).get("critique").asText());
        assertEquals("unsafe-advice", wrong.get("critiques").get(0).get("tags").get(0).asText());
    }
}
