package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.GOOD_CRITIQUE;
import static io.plumbline.annotation.Fixtures.PERCENTAGE;
import static io.plumbline.annotation.Fixtures.TONE;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.label;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.percent;
import static io.plumbline.annotation.Fixtures.refused;
import static io.plumbline.annotation.Fixtures.violations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.CreateQueueRequest;
import io.plumbline.proto.annotation.v1.FillStrategy;
import io.plumbline.proto.annotation.v1.GetCurrentReviewerRequest;
import io.plumbline.proto.annotation.v1.GetItemRequest;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.RandomStrategy;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.UpdateResolutionConfigRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.MetricValue;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Each refusal of the "Bad input" list, with a message that says what to do. */
@QuarkusTest
class BadInputTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    @Inject
    DataSource database;

    private SubmitFeedbackRequest.Builder incorrect(String project, ReviewItem item, MetricValue expected, String critique) {
        return SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                .setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(expected).setCritique(critique);
    }

    @Test
    void anExpectedValueOfTheWrongTypeIsRefused() {
        String project = newProject();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), BOOLEAN, bool(true)).get(0);
        var v = violations(refused(Status.Code.INVALID_ARGUMENT, () -> as(stub, "key-bob")
                .submitFeedback(incorrect(project, item, percent(40), GOOD_CRITIQUE).build())));
        assertEquals("must be a boolean value (was a percentage value)", v.get("expected_value"));
    }

    @Test
    void aLabelOutsideTheCategoricalSetIsRefused() {
        String project = newProject();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), TONE, label("helpful")).get(0);
        var v = violations(refused(Status.Code.INVALID_ARGUMENT, () -> as(stub, "key-bob")
                .submitFeedback(incorrect(project, item, label("sarcastic"), GOOD_CRITIQUE).build())));
        assertEquals("must be one of the labels [helpful, neutral, rude] (was \"sarcastic\")", v.get("expected_value"));
    }

    @Test
    void aPercentageOutsideZeroToHundredIsRefused() {
        String project = newProject();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), PERCENTAGE, percent(50)).get(0);
        var v = violations(refused(Status.Code.INVALID_ARGUMENT, () -> as(stub, "key-bob")
                .submitFeedback(incorrect(project, item, percent(140), GOOD_CRITIQUE).build())));
        assertEquals("must be a percentage from 0 to 100 (was 140.0)", v.get("expected_value"));
    }

    @Test
    void vagueCritiquesAreRefusedWithWhatGoodFeedbackHolds() {
        String project = newProject();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), BOOLEAN, bool(true)).get(0);
        AnnotationsBlockingStub bob = as(stub, "key-bob");
        for (String vague : List.of("wrong", "Bad.", "This score is wrong", "this should be flagged!", "too short")) {
            var v = violations(refused(Status.Code.INVALID_ARGUMENT,
                    () -> bob.submitFeedback(incorrect(project, item, bool(false), vague).build())));
            String rule = v.get("critique");
            assertTrue(rule != null && rule.contains("say what the value should have been and why"), vague + " -> " + v);
            assertTrue(rule.contains("Score should be 60%"), "with the example of good feedback: " + rule);
        }
        var missing = violations(refused(Status.Code.INVALID_ARGUMENT,
                () -> bob.submitFeedback(incorrect(project, item, bool(false), "").build())));
        assertTrue(missing.get("critique").startsWith("is required for INCORRECT"), missing.toString());
        var sameAsJudge = violations(refused(Status.Code.INVALID_ARGUMENT,
                () -> bob.submitFeedback(incorrect(project, item, bool(true), GOOD_CRITIQUE).build())));
        assertTrue(sameAsJudge.get("expected_value").contains("mark the result CORRECT instead"), sameAsJudge.toString());
        var badTag = violations(refused(Status.Code.INVALID_ARGUMENT, () -> bob.submitFeedback(
                incorrect(project, item, bool(false), GOOD_CRITIQUE).addTags("Unsafe Advice").build())));
        assertTrue(badTag.containsKey("tags[0]"), badTag.toString());
        var noVerdict = violations(refused(Status.Code.INVALID_ARGUMENT, () -> bob.submitFeedback(
                SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId()).build())));
        assertTrue(noVerdict.containsKey("verdict"), noVerdict.toString());

        var kept = bob.submitFeedback(incorrect(project, item, bool(false), GOOD_CRITIQUE).build());
        assertEquals(GOOD_CRITIQUE, kept.getFeedback().getCritique(), "a critique that explains is kept");
    }

    @Test
    void aReviewerReviewingTwiceIsRefused() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        Fixtures.resolution(root, project, metric, ResolutionSettings.newBuilder().setRequiredReviews(2).build());
        ReviewItem item = itemsFor(root, project, metric, BOOLEAN, bool(true)).get(0);
        AnnotationsBlockingStub bob = as(stub, "key-bob");
        var correct = SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                .setVerdict(Verdict.VERDICT_CORRECT).build();
        bob.submitFeedback(correct);
        var e = refused(Status.Code.ALREADY_EXISTS, () -> bob.submitFeedback(correct));
        assertTrue(e.getStatus().getDescription().contains("UpdateFeedback"), e.getStatus().getDescription());
    }

    @Test
    void feedbackOnAResolvedItemIsRefused() {
        String project = newProject();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), BOOLEAN, bool(true)).get(0);
        var correct = SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                .setVerdict(Verdict.VERDICT_CORRECT).build();
        assertEquals(ReviewItem.Status.STATUS_RESOLVED, as(stub, "key-bob").submitFeedback(correct).getItem().getStatus());
        var e = refused(Status.Code.FAILED_PRECONDITION, () -> as(stub, "key-carol").submitFeedback(correct));
        assertTrue(e.getStatus().getDescription().contains("is resolved"), e.getStatus().getDescription());
    }

    @Test
    void unknownItemsAndItemsOfAnotherProjectAreNotFound() {
        String project = newProject();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), BOOLEAN, bool(true)).get(0);
        refused(Status.Code.NOT_FOUND, () -> as(stub, "key-bob").getItem(GetItemRequest.newBuilder()
                .setProjectId(project).setItemId(UUID.randomUUID().toString()).build()));
        refused(Status.Code.NOT_FOUND, () -> as(stub, "key-bob").getItem(GetItemRequest.newBuilder()
                .setProjectId(newProject()).setItemId(item.getId()).build()));
        var v = violations(refused(Status.Code.INVALID_ARGUMENT, () -> as(stub, "key-bob").getItem(
                GetItemRequest.newBuilder().setProjectId(project).setItemId("item-1").build())));
        assertTrue(v.containsKey("item_id"), v.toString());
    }

    @Test
    void callersAreNamedByTheirApiKeyAndAdminCallsNeedAnAdmin() {
        String project = newProject();
        assertEquals("alice", as(stub, "key-alice").getCurrentReviewer(GetCurrentReviewerRequest.newBuilder()
                .setProjectId(project).build()).getId());
        refused(Status.Code.UNAUTHENTICATED, () -> stub.getCurrentReviewer(GetCurrentReviewerRequest.newBuilder()
                .setProjectId(project).build()));
        refused(Status.Code.UNAUTHENTICATED, () -> as(stub, "key-nobody").getCurrentReviewer(
                GetCurrentReviewerRequest.newBuilder().setProjectId(project).build()));
        refused(Status.Code.PERMISSION_DENIED, () -> as(stub, "key-outsider").getCurrentReviewer(
                GetCurrentReviewerRequest.newBuilder().setProjectId(project).build()));
        var queue = CreateQueueRequest.newBuilder().setProjectId(project).setName("hard cases")
                .setMetricId(newMetric()).setStrategy(FillStrategy.newBuilder().setRandom(RandomStrategy.newBuilder()
                        .setRate(0.1))).build();
        refused(Status.Code.PERMISSION_DENIED, () -> as(stub, "key-bob").createQueue(queue));
        as(stub, "key-root").createQueue(queue);
        refused(Status.Code.ALREADY_EXISTS, () -> as(stub, "key-root").createQueue(queue));
    }

    @Test
    void badQueueAndResolutionSettingsNameEachField() {
        String project = newProject();
        AnnotationsBlockingStub root = as(stub, "key-root");
        Map<String, String> v = violations(refused(Status.Code.INVALID_ARGUMENT, () -> root.createQueue(
                CreateQueueRequest.newBuilder().setProjectId(project).setName("")
                        .setStrategy(FillStrategy.newBuilder().setRandom(RandomStrategy.newBuilder().setRate(1.5)))
                        .setResolution(ResolutionSettings.newBuilder().setRequiredReviews(21)
                                .setRule(ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT)).build())));
        assertEquals("is required", v.get("name"));
        assertTrue(v.get("strategy.random.rate").contains("(0, 1]"), v.toString());
        assertTrue(v.get("metric_id").contains("required unless the strategy is manual"), v.toString());
        assertTrue(v.get("resolution.required_reviews").contains("1 to 20"), v.toString());
        assertTrue(v.get("resolution.principal_reviewer_id").contains("required for PRINCIPAL_EXPERT"), v.toString());
        var settings = violations(refused(Status.Code.INVALID_ARGUMENT, () -> root.updateResolutionConfig(
                UpdateResolutionConfigRequest.newBuilder().setProjectId(project).setMetricId(newMetric())
                        .setSettings(ResolutionSettings.newBuilder().setNumericTolerance(-1)).build())));
        assertTrue(settings.containsKey("settings.numeric_tolerance"), settings.toString());
    }

    @Test
    void aResolvedItemCannotBeRemovedButAnOpenOneCan() {
        String project = newProject();
        List<ReviewItem> items = itemsFor(as(stub, "key-root"), project, newMetric(), BOOLEAN, bool(true), bool(true));
        as(stub, "key-bob").submitFeedback(SubmitFeedbackRequest.newBuilder().setProjectId(project)
                .setItemId(items.get(0).getId()).setVerdict(Verdict.VERDICT_CORRECT).build());
        var remove = io.plumbline.proto.annotation.v1.RemoveItemRequest.newBuilder().setProjectId(project);
        refused(Status.Code.FAILED_PRECONDITION, () -> as(stub, "key-root").removeItem(
                remove.setItemId(items.get(0).getId()).build()));
        refused(Status.Code.PERMISSION_DENIED, () -> as(stub, "key-bob").removeItem(
                remove.setItemId(items.get(1).getId()).build()));
        as(stub, "key-root").removeItem(remove.setItemId(items.get(1).getId()).build());
        refused(Status.Code.NOT_FOUND, () -> as(stub, "key-root").getItem(GetItemRequest.newBuilder()
                .setProjectId(project).setItemId(items.get(1).getId()).build()));
    }

    @Test
    void refusedSubmissionsAndEmptyQueuesLeaveNoTransactionOpen() throws Exception {
        String project = newProject();
        ReviewItem item = itemsFor(as(stub, "key-root"), project, newMetric(), BOOLEAN, bool(true)).get(0);
        SubmitFeedbackRequest correct = SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId())
                .setVerdict(Verdict.VERDICT_CORRECT).build();
        as(stub, "key-bob").submitFeedback(correct);  // one review resolves it
        // More than the pool's connections: each call begins a transaction, locks the item, and is refused.
        for (int i = 0; i < 20; i++) {
            refused(Status.Code.FAILED_PRECONDITION, () -> as(stub, "key-carol").submitFeedback(correct));
        }
        try (Connection c = database.getConnection(); Statement q = c.createStatement()) {
            c.setAutoCommit(false);
            // A transaction left open by a refused call would still hold the item's lock.
            try (ResultSet rows = q.executeQuery("select id from review_item where id = '" + item.getId()
                    + "' for update nowait")) {
                assertTrue(rows.next());
            }
            c.rollback();
        }
        for (int i = 0; i < 20; i++) {
            assertFalse(as(stub, "key-carol").nextItem(NextItemRequest.newBuilder().setProjectId(project).build())
                    .hasItem());
        }
        try (Connection c = database.getConnection(); Statement q = c.createStatement(); ResultSet rows = q.executeQuery("""
                select count(*) from pg_stat_activity
                where datname = current_database() and state like 'idle in transaction%'
                  and (query like '%with picked as%' or query like '%left join assignment a on a.item_id%')""")) {
            rows.next();
            assertEquals(0, rows.getLong(1), "connections left in a transaction by NextItem or SubmitFeedback");
        }
    }
}
