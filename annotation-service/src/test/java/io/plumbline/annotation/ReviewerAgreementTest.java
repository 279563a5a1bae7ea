package io.plumbline.annotation;

import static io.plumbline.annotation.Fixtures.BOOLEAN;
import static io.plumbline.annotation.Fixtures.GOOD_CRITIQUE;
import static io.plumbline.annotation.Fixtures.as;
import static io.plumbline.annotation.Fixtures.bool;
import static io.plumbline.annotation.Fixtures.itemsFor;
import static io.plumbline.annotation.Fixtures.newMetric;
import static io.plumbline.annotation.Fixtures.newProject;
import static io.plumbline.annotation.Fixtures.resolution;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.proto.annotation.v1.AnnotationsGrpc.AnnotationsBlockingStub;
import io.plumbline.proto.annotation.v1.GetReviewerAgreementRequest;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.annotation.v1.ReviewerAgreement;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GetReviewerAgreement over resolved items, against values computed by hand. */
@QuarkusTest
class ReviewerAgreementTest {

    @GrpcClient("annotations")
    AnnotationsBlockingStub stub;

    private void label(String key, String project, ReviewItem item, boolean value) {
        var request = SubmitFeedbackRequest.newBuilder().setProjectId(project).setItemId(item.getId());
        if (value) {
            request.setVerdict(Verdict.VERDICT_CORRECT);
        } else {
            request.setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(bool(false)).setCritique(GOOD_CRITIQUE);
        }
        as(stub, key).submitFeedback(request.build());
    }

    @Test
    void twoReviewersAgreeingAtChanceLevelHaveKappaZero() {
        String project = newProject();
        String metric = newMetric();
        AnnotationsBlockingStub root = as(stub, "key-root");
        resolution(root, project, metric, ResolutionSettings.newBuilder()
                .setRule(ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT).setPrincipalReviewerId("alice")
                .setRequiredReviews(2).build());
        List<ReviewItem> items = itemsFor(root, project, metric, BOOLEAN, bool(true), bool(true), bool(true), bool(true));
        boolean[][] bobAlice = {{true, true}, {false, false}, {true, false}, {false, true}};
        for (int i = 0; i < items.size(); i++) {
            label("key-bob", project, items.get(i), bobAlice[i][0]);
            label("key-alice", project, items.get(i), bobAlice[i][1]);
        }

        ReviewerAgreement agreement = root.getReviewerAgreement(GetReviewerAgreementRequest.newBuilder()
                .setProjectId(project).setMetricId(metric).build());
        assertEquals(ReviewerAgreement.MeasurementLevel.MEASUREMENT_LEVEL_NOMINAL, agreement.getMeasurementLevel());
        assertEquals(4, agreement.getItems());
        assertEquals(8, agreement.getRatings());
        assertEquals(2, agreement.getReviewers());
        // p_o = 2/4, each says true half the time: p_e = 1/2, kappa = 0; Fleiss the same.
        assertEquals(0.0, agreement.getCohenKappa().getValue(), 1e-9);
        assertTrue(agreement.getCohenKappa().getDefined());
        assertEquals(4, agreement.getCohenKappa().getN());
        assertEquals(0.0, agreement.getFleissKappa().getValue(), 1e-9);
        // Coincidences 2 in each cell, n = 8, n_true = n_false = 4: alpha = 1 - 7 * 4 / (2 * 16) = 0.125.
        assertEquals(0.125, agreement.getKrippendorffAlpha().getValue(), 1e-9);
        assertEquals(1, agreement.getPairsCount());
        assertEquals(0.5, agreement.getPairs(0).getPercentAgreement(), 1e-9);
        // The principal's value is the consensus: alice agrees with it always, bob half the time.
        assertEquals("alice", agreement.getPerReviewer(0).getReviewerId());
        assertEquals(1.0, agreement.getPerReviewer(0).getPercentAgreement(), 1e-9);
        assertEquals(1.0, agreement.getPerReviewer(0).getCohenKappa().getValue(), 1e-9);
        assertEquals(0.5, agreement.getPerReviewer(1).getPercentAgreement(), 1e-9);
        assertEquals(4, agreement.getPerReviewer(1).getN());
    }
}
