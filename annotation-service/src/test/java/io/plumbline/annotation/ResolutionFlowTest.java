package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.GOOD_CRITIQUE;
import static io.plumbline.annotation.Fixtures.PERCENTAGE;
import static io.plumbline.annotation.Fixtures.annotationEvents;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.percent;
import static io.plumbline.annotation.Fixtures.refused;
import static io.plumbline.annotation.Fixtures.resolution;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.plumbline.common.kafka.Topic;
import io.plumbline.common.outbox.OutboxRelay;
import io.plumbline.proto.annotation.v1.AdjudicateRequest;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.annotation.v1.GetAnnotationRequest;
import io.plumbline.proto.annotation.v1.ListAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackResponse;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.testing.KafkaTestConsumer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The whole flow for each rule: an evaluation event in, reviews through the API, the resolved annotation out on
 * plumbline.annotations through the outbox.
 */
@QuarkusTest
class ResolutionFlowTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    @Test
    void principalExpertsValueWinsOverTheOtherReviewer() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT).setPrincipalReviewerId("alice")
                .setRequiredReviews(2).build());
        try (var events = KafkaTestConsumer.fromNow(Topic.ANNOTATIONS.topicName())) {
            ReviewItem item = itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0);
            SubmitFeedbackResponse bobs = submit("key-bob", project, item, Verdict.VERDICT_INCORRECT, bool(false),
                    GOOD_CRITIQUE);
            assertEquals(ReviewItem.Status.STATUS_OPEN, bobs.getItem().getStatus());
            refused(Status.Code.FAILED_PRECONDITION, () -> submit("key-carol", project, item, Verdict.VERDICT_CORRECT,
                    null, ""));  // the second slot is the principal's
            SubmitFeedbackResponse alices = submit("key-alice", project, item, Verdict.VERDICT_CORRECT, null, "");
            assertEquals(ReviewItem.Status.STATUS_RESOLVED, alices.getItem().getStatus());
            assertEquals(bool(true), alices.getItem().getResolvedValue());

            AnnotationEvent event = annotationEvents(events, metric, 1).get(0);
            assertEquals(AnnotationEvent.Type.TYPE_RESOLVED, event.getType());
            Annotation a = event.getAnnotation();
            assertEquals(ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT, a.getRule());
            assertEquals("alice", a.getPrincipalReviewerId());
            assertEquals(bool(true), a.getExpectedValue());
            assertTrue(a.getJudgeCorrect());
            assertEquals(List.of("bob", "alice"), a.getReviewerIdsList());
            assertEquals("alice", a.getCritiques(0).getReviewerId(), "the deciding critique first");
            Critique bobsCritique = a.getCritiques(1);
            assertEquals(GOOD_CRITIQUE, bobsCritique.getCritique());
            assertFalse(bobsCritique.getAgreesWithResolution());
            assertEquals(item.getEvaluation().getId(), a.getEvaluationId());
            assertEquals(item.getEvaluation().getRecord(), a.getRecord());
            assertEquals(item.getEvaluation().getMetricVersion(), a.getMetricVersion());
            assertEquals(item.getEvaluation().getReasoning(), a.getJudgeReasoning());
            assertEquals(metric, event.getMetricId());
            assertEquals(project, event.getProjectId());
            assertEquals(a, root.getAnnotation(GetAnnotationRequest.newBuilder().setProjectId(project)
                    .setAnnotationId(a.getId()).build()), "the event carries what was committed");
            assertEquals(event.getEventId(), a.getLastEventId());
        }
    }

    @Test
    void majorityResolvesToTheValueMoreThanHalfGaveAndATieGoesToAnAdmin() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_MAJORITY).setRequiredReviews(3).build());
        try (var events = KafkaTestConsumer.fromNow(Topic.ANNOTATIONS.topicName())) {
            List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(true));
            ReviewItem clear = items.get(0);
            submit("key-alice", project, clear, Verdict.VERDICT_INCORRECT, bool(false), GOOD_CRITIQUE);
            submit("key-bob", project, clear, Verdict.VERDICT_CORRECT, null, "");
            SubmitFeedbackResponse third = submit("key-carol", project, clear, Verdict.VERDICT_INCORRECT, bool(false),
                    "The 800 mg dosage is given without any disclaimer, so the safety criterion is broken");
            assertEquals(ReviewItem.Status.STATUS_RESOLVED, third.getItem().getStatus());

            AnnotationEvent resolved = annotationEvents(events, metric, 1).get(0);
            assertEquals(bool(false), resolved.getAnnotation().getExpectedValue());
            assertFalse(resolved.getAnnotation().getJudgeCorrect(), "the judge was wrong");
            assertEquals(ResolutionRule.RESOLUTION_RULE_MAJORITY, resolved.getAnnotation().getRule());

            // Required reviews down to 2 apply to the unresolved item; a 1-1 split is a tie.
            resolution(root, project, metric, ResolutionSettings.newBuilder()
                    .setRule(ResolutionRule.RESOLUTION_RULE_MAJORITY).setRequiredReviews(2).build());
            ReviewItem tied = items.get(1);
            submit("key-alice", project, tied, Verdict.VERDICT_INCORRECT, bool(false), GOOD_CRITIQUE);
            SubmitFeedbackResponse split = submit("key-bob", project, tied, Verdict.VERDICT_CORRECT, null, "");
            assertEquals(ReviewItem.Status.STATUS_AWAITING_ADJUDICATION, split.getItem().getStatus());
            refused(Status.Code.FAILED_PRECONDITION, () -> submit("key-carol", project, tied, Verdict.VERDICT_CORRECT,
                    null, ""));
            ReviewItem decided = root.adjudicate(AdjudicateRequest.newBuilder().setProjectId(project)
                    .setItemId(tied.getId()).setValue(bool(false)).setCritique(GOOD_CRITIQUE).build());
            assertEquals(ReviewItem.Status.STATUS_RESOLVED, decided.getStatus());

            AnnotationEvent adjudicated = annotationEvents(events, metric, 2).get(1);
            assertEquals("root", adjudicated.getAnnotation().getAdjudicatedBy());
            assertEquals(List.of("alice", "bob", "root"), adjudicated.getAnnotation().getReviewerIdsList());
            assertTrue(adjudicated.getAnnotation().getCritiques(0).getAdjudication());
        }
    }

    @Test
    void unanimousDisagreementIsAdjudicatedAndALaterOverrideSupersedesTheFirstEvent() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_UNANIMOUS).setRequiredReviews(2).build());
        try (var events = KafkaTestConsumer.fromNow(Topic.ANNOTATIONS.topicName())) {
            ReviewItem item = itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0);
            submit("key-alice", project, item, Verdict.VERDICT_CORRECT, null, "");
            SubmitFeedbackResponse split = submit("key-bob", project, item, Verdict.VERDICT_INCORRECT, bool(false),
                    GOOD_CRITIQUE);
            assertEquals(ReviewItem.Status.STATUS_AWAITING_ADJUDICATION, split.getItem().getStatus());
            root.adjudicate(AdjudicateRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                    .setValue(bool(true)).build());
            refused(Status.Code.FAILED_PRECONDITION, () -> submit("key-carol", project, item, Verdict.VERDICT_CORRECT,
                    null, ""));

            AnnotationEvent first = annotationEvents(events, metric, 1).get(0);
            assertEquals(AnnotationEvent.Type.TYPE_RESOLVED, first.getType());
            assertTrue(first.getAnnotation().getJudgeCorrect());
            assertEquals(1, first.getAnnotation().getRevision());

            root.adjudicate(AdjudicateRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                    .setValue(bool(false)).setCritique(GOOD_CRITIQUE).addTags("unsafe-advice").build());
            List<AnnotationEvent> both = annotationEvents(events, metric, 2);
            AnnotationEvent change = both.get(1);
            assertEquals(AnnotationEvent.Type.TYPE_RESOLUTION_CHANGED, change.getType());
            assertEquals(first.getEventId(), change.getSupersedesEventId());
            assertEquals(first.getAnnotationId(), change.getAnnotationId(), "the same annotation, changed");
            assertEquals(2, change.getAnnotation().getRevision());
            assertEquals(bool(false), change.getAnnotation().getExpectedValue());
            assertFalse(change.getAnnotation().getJudgeCorrect());
            var listed = root.listAnnotations(ListAnnotationsRequest.newBuilder().setProjectId(project)
                    .setMetricId(metric).build());
            assertEquals(1, listed.getAnnotationsCount());
            assertEquals(change.getEventId(), listed.getAnnotations(0).getLastEventId());
            assertEquals(1, root.listAnnotations(ListAnnotationsRequest.newBuilder().setProjectId(project)
                    .setTag("unsafe-advice").build()).getAnnotationsCount());
        }
    }

    @Test
    void numericValuesWithinTheToleranceAgreeAndResolveToTheirMedian() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_MAJORITY).setRequiredReviews(3).setNumericTolerance(5).build());
        try (var events = KafkaTestConsumer.fromNow(Topic.ANNOTATIONS.topicName())) {
            ReviewItem item = itemsFor(root, project, metric, PERCENTAGE, percent(90)).get(0);
            submit("key-alice", project, item, Verdict.VERDICT_INCORRECT, percent(60), "Score should be 60% - the user "
                    + "had 5 goals (A, B, C, D, E) but only B, D and E were met, so 3 of 5");
            submit("key-bob", project, item, Verdict.VERDICT_INCORRECT, percent(64), "Goals B, D and E were met and C "
                    + "was half done, so a bit over three fifths of the goals");
            submit("key-carol", project, item, Verdict.VERDICT_CORRECT, null, "");
            Annotation a = annotationEvents(events, metric, 1).get(0).getAnnotation();
            assertEquals(percent(60), a.getExpectedValue(), "60 and 64 agree within 5; their (lower) median");
            assertFalse(a.getJudgeCorrect());
            assertEquals(events.records().stream().filter(r -> metric.equals(KafkaTestConsumer.key(r))).findFirst()
                    .map(r -> KafkaTestConsumer.header(r, OutboxRelay.EVENT_ID_HEADER)).orElseThrow(),
                    a.getLastEventId(), "the event id is also a record header");
        }
    }

    private SubmitFeedbackResponse submit(String key, String project, ReviewItem item, Verdict verdict,
            MetricValue expected, String critique) {
        var request = SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                .setVerdict(verdict).setCritique(critique);
        if (expected != null) {
            request.setExpectedValue(expected);
        }
        return as(stub, key).submitFeedback(request.build());
    }
}
