package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.PERCENTAGE;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.percent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.GetItemRequest;
import io.plumbline.proto.annotation.v1.ImportError;
import io.plumbline.proto.annotation.v1.ImportLabelsRequest;
import io.plumbline.proto.annotation.v1.ImportLabelsResponse;
import io.plumbline.proto.annotation.v1.LabelFormat;
import io.plumbline.proto.annotation.v1.ListAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.testing.KafkaTestConsumer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Labels from spreadsheets: validated row by row, each refusal with its line; re-importing changes nothing. */
@QuarkusTest
class LabelImportTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    private ImportLabelsResponse importCsv(String project, String csv, boolean allOrNothing) {
        return as(stub, "key-root").importLabels(ImportLabelsRequest.newBuilder().setProjectId(project)
                .setFormat(LabelFormat.LABEL_FORMAT_CSV).setContent(ByteString.copyFromUtf8(csv))
                .setAllOrNothing(allOrNothing).build());
    }

    @Test
    void validRowsAreKeptAndEachRefusedRowIsReportedWithItsLineAndReason() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(true), bool(true));
        String e1 = items.get(0).getEvaluation().getId();
        String e2 = items.get(1).getEvaluation().getId();
        String e3 = items.get(2).getEvaluation().getId();
        String csv = "evaluation_id,reviewer,value,critique,tags\n"
                + e1 + ",alice,true,,\n"
                + e2 + ",bob,false,\"Should be flagged, \"\"800 mg\"\" is a dosage\ngiven without any disclaimer\",unsafe-advice;dosage\n"
                + e3 + ",carol,maybe,,\n"
                + "no-such-evaluation,dave,true,,\n"
                + e3 + ",erin,false,wrong,\n"
                + e3 + ",,true,,\n";

        ImportLabelsResponse first = importCsv(project, csv, false);
        assertEquals(2, first.getImported());
        assertEquals(4, first.getRejected());
        assertTrue(first.getCommitted());
        assertEquals(2, first.getItemsResolved(), "one review is all these items need");
        List<ImportError> errors = first.getErrorsList();
        assertEquals(List.of(5L, 6L, 7L, 8L), errors.stream().map(ImportError::getLine).toList(),
                "the quoted critique spans lines 3-4");
        assertEquals("value", errors.get(0).getField());
        assertTrue(errors.get(0).getReason().contains("must be true or false"), errors.get(0).getReason());
        assertTrue(errors.get(1).getReason().contains("unknown evaluation no-such-evaluation"), errors.get(1).getReason());
        assertEquals("critique", errors.get(2).getField());
        assertTrue(errors.get(2).getReason().contains("too vague"), errors.get(2).getReason());
        assertEquals("reviewer", errors.get(3).getField());

        ReviewItem second = root.getItem(GetItemRequest.newBuilder().setProjectId(project)
                .setItemId(items.get(1).getId()).build());
        assertEquals(ReviewItem.Status.STATUS_RESOLVED, second.getStatus());
        assertEquals(Verdict.VERDICT_INCORRECT, second.getFeedback(0).getVerdict());
        assertEquals("Should be flagged, \"800 mg\" is a dosage\ngiven without any disclaimer",
                second.getFeedback(0).getCritique());
        assertEquals(List.of("unsafe-advice", "dosage"), second.getFeedback(0).getTagsList());
        assertTrue(second.getFeedback(0).getImported());

        ImportLabelsResponse again = importCsv(project, csv, false);
        assertEquals(0, again.getImported());
        assertEquals(0, again.getUpdated());
        assertEquals(2, again.getUnchanged());
        assertEquals(4, again.getRejected());
        assertEquals(0, again.getItemsResolved());
        assertEquals(2, root.listAnnotations(ListAnnotationsRequest.newBuilder().setProjectId(project)
                .setMetricId(metric).build()).getAnnotationsCount(), "re-importing changed nothing");
    }

    @Test
    void allOrNothingKeepsNothingWhenARowIsRefused() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        List<ReviewItem> items = itemsFor(root, project, metric, PERCENTAGE, percent(80), percent(30));
        String csv = "evaluation_id,reviewer,value,critique\n"
                + items.get(0).getEvaluation().getId() + ",alice,80,\n"
                + items.get(1).getEvaluation().getId() + ",alice,130,Far too high for an answer that met none of the goals\n";
        ImportLabelsResponse response = importCsv(project, csv, true);
        assertFalse(response.getCommitted());
        assertEquals(1, response.getImported(), "what would have been imported");
        assertEquals(1, response.getRejected());
        assertEquals("must be a percentage from 0 to 100 (was 130.0)", response.getErrors(0).getReason());
        assertEquals(0, root.getItem(GetItemRequest.newBuilder().setProjectId(project).setItemId(items.get(0).getId())
                .build()).getReviewCount(), "nothing was kept");
    }

    @Test
    void jsonLinesNameRecordsByMetricAndCarryTypedValues() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        ReviewItem item = itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0);
        String jsonl = "{\"record_id\": \"" + item.getEvaluation().getRecord().getRecordId() + "\", \"metric\": \""
                + metric + "\", \"reviewer\": \"dave\", \"value\": false, \"critique\": \"" + Fixtures.GOOD_CRITIQUE
                + "\", \"tags\": [\"unsafe-advice\"]}\n"
                + "{\"evaluation_id\": \"" + item.getEvaluation().getId() + "\", \"reviewer\": \"erin\", \"valeu\": true}\n"
                + "not json\n";
        ImportLabelsResponse response = root.importLabels(ImportLabelsRequest.newBuilder().setProjectId(project)
                .setFormat(LabelFormat.LABEL_FORMAT_JSONL).setContent(ByteString.copyFromUtf8(jsonl)).build());
        assertEquals(1, response.getImported());
        assertEquals(List.of(2L, 3L), response.getErrorsList().stream().map(ImportError::getLine).toList());
        assertTrue(response.getErrors(0).getReason().contains("unknown key \"valeu\""), response.toString());
        ReviewItem now = root.getItem(GetItemRequest.newBuilder().setProjectId(project).setItemId(item.getId()).build());
        assertEquals(bool(false), now.getResolvedValue());
        assertEquals("dave", now.getFeedback(0).getReviewerId());
        // dave has an API key; a reviewer named only by a file is listed as imported-only.
        String csv = "evaluation_id,reviewer,value\n" + itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0)
                .getEvaluation().getId() + ",zoe@spreadsheet,true\n";
        as(stub, "key-root").importLabels(ImportLabelsRequest.newBuilder().setProjectId(project)
                .setFormat(LabelFormat.LABEL_FORMAT_CSV).setContent(ByteString.copyFromUtf8(csv)).build());
        var reviewers = as(stub, "key-bob").listReviewers(io.plumbline.proto.annotation.v1.ListReviewersRequest
                .newBuilder().setProjectId(project).setPageSize(3).build());
        assertEquals(List.of("alice", "bob", "carol"), reviewers.getReviewersList().stream()
                .map(io.plumbline.proto.annotation.v1.Reviewer::getId).toList());
        var rest = as(stub, "key-bob").listReviewers(io.plumbline.proto.annotation.v1.ListReviewersRequest
                .newBuilder().setProjectId(project).setPageToken(reviewers.getNextPageToken()).build());
        assertEquals(List.of("dave", "erin", "root", "zoe@spreadsheet"), rest.getReviewersList().stream()
                .map(io.plumbline.proto.annotation.v1.Reviewer::getId).toList(), "outsider has no access here");
        assertTrue(rest.getReviewers(3).getImportedOnly());
    }

    @Test
    void labelsImportedAsResolvedBecomeAnnotationsAtOnceAndAChangeSupersedesTheEarlierEvent() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(true));
        try (var events = KafkaTestConsumer.fromNow(Topic.ANNOTATIONS.topicName())) {
            // The first item is resolved by a review; the import makes it false, the second item true at once.
            as(stub, "key-bob").submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                    .setItemId(items.get(0).getId()).setVerdict(Verdict.VERDICT_CORRECT).build());
            String e1 = items.get(0).getEvaluation().getId();
            String e2 = items.get(1).getEvaluation().getId();
            String csv = "evaluation_id,reviewer,value,critique\n"
                    + e1 + ",zoe@spreadsheet,false,\"" + Fixtures.GOOD_CRITIQUE + "\"\n"
                    + e2 + ",zoe@spreadsheet,true,\n"
                    + e2 + ",yan@spreadsheet,true,\n";
            ImportLabelsRequest request = ImportLabelsRequest.newBuilder().setProjectId(project)
                    .setFormat(LabelFormat.LABEL_FORMAT_CSV).setContent(ByteString.copyFromUtf8(csv))
                    .setAsResolved(true).build();
            ImportLabelsResponse response = root.importLabels(request);
            assertEquals(1, response.getImported(), "a new annotation");
            assertEquals(1, response.getUpdated(), "a changed one");
            assertEquals(1, response.getItemsResolved());
            assertEquals(List.of(4L), response.getErrorsList().stream().map(ImportError::getLine).toList());
            assertTrue(response.getErrors(0).getReason().contains("one row per evaluation"), response.toString());

            List<AnnotationEvent> sent = Fixtures.annotationEvents(events, metric, 3);
            AnnotationEvent reviewed = sent.get(0);
            AnnotationEvent changed = sent.stream().filter(e -> e.getAnnotation().getEvaluationId().equals(e1)
                    && e.getType() == AnnotationEvent.Type.TYPE_RESOLUTION_CHANGED).findFirst().orElseThrow();
            assertEquals(reviewed.getEventId(), changed.getSupersedesEventId());
            assertEquals(2, changed.getAnnotation().getRevision());
            assertEquals(bool(false), changed.getAnnotation().getExpectedValue());
            assertEquals(Annotation.Source.SOURCE_IMPORT, changed.getAnnotation().getSource());
            assertEquals(ResolutionRule.RESOLUTION_RULE_UNSPECIFIED, changed.getAnnotation().getRule());
            assertEquals(List.of("bob", "zoe@spreadsheet"), changed.getAnnotation().getReviewerIdsList());
            AnnotationEvent imported = sent.stream().filter(e -> e.getAnnotation().getEvaluationId().equals(e2))
                    .findFirst().orElseThrow();
            assertEquals(AnnotationEvent.Type.TYPE_RESOLVED, imported.getType());
            assertEquals(bool(true), imported.getAnnotation().getExpectedValue());
            assertTrue(imported.getAnnotation().getJudgeCorrect());

            ReviewItem second = root.getItem(GetItemRequest.newBuilder().setProjectId(project)
                    .setItemId(items.get(1).getId()).build());
            assertEquals(ReviewItem.Status.STATUS_RESOLVED, second.getStatus());
            assertEquals(imported.getAnnotation().getId(), second.getAnnotationId());

            ImportLabelsResponse again = root.importLabels(request);
            assertEquals(2, again.getUnchanged(), "re-importing changes nothing");
            assertEquals(0, again.getImported() + again.getUpdated());
            assertEquals(2, root.getAnnotation(io.plumbline.proto.annotation.v1.GetAnnotationRequest.newBuilder()
                    .setProjectId(project).setAnnotationId(changed.getAnnotationId()).build()).getRevision());
        }
    }

    @Test
    void aDryRunReportsWhatWouldHappenAndKeepsNothing() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        ReviewItem item = itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0);
        String csv = "evaluation_id,reviewer,value\n" + item.getEvaluation().getId() + ",alice,true\n";
        ImportLabelsResponse dry = root.importLabels(ImportLabelsRequest.newBuilder().setProjectId(project)
                .setFormat(LabelFormat.LABEL_FORMAT_CSV).setContent(ByteString.copyFromUtf8(csv)).setDryRun(true)
                .build());
        assertFalse(dry.getCommitted());
        assertEquals(1, dry.getImported());
        assertEquals(0, root.getItem(GetItemRequest.newBuilder().setProjectId(project).setItemId(item.getId()).build())
                .getReviewCount());
    }
}
