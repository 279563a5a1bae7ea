package io.plumbline.annotation.resolution;

import io.plumbline.common.api.Violations;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;

/** The rules of resolution settings and their defaults (MAJORITY, one review). */
public final class ResolutionRules {

    public static final int MAX_REQUIRED_REVIEWS = 20;
    public static final ResolutionSettings DEFAULT = withDefaults(ResolutionSettings.getDefaultInstance());

    private ResolutionRules() {
    }

    public static void settings(ResolutionSettings s, String field, Violations v) {
        v.check(s.getRule() == ResolutionRule.UNRECOGNIZED, field + ".rule", "is not a known rule");
        v.check(s.getRequiredReviews() < 0 || s.getRequiredReviews() > MAX_REQUIRED_REVIEWS, field + ".required_reviews",
                "must be from 1 to " + MAX_REQUIRED_REVIEWS + ", or 0 meaning 1 (was " + s.getRequiredReviews() + ")");
        v.check(s.getRule() == ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT && s.getPrincipalReviewerId().isBlank(),
                field + ".principal_reviewer_id", "is required for PRINCIPAL_EXPERT: the reviewer whose label wins");
        v.check(s.getRule() != ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT && !s.getPrincipalReviewerId().isEmpty(),
                field + ".principal_reviewer_id", "is only for PRINCIPAL_EXPERT");
        v.check(!(s.getNumericTolerance() >= 0), field + ".numeric_tolerance",
                "must be 0 or more (was " + s.getNumericTolerance() + ")");
    }

    /** The settings with unset fields at their defaults. */
    public static ResolutionSettings withDefaults(ResolutionSettings s) {
        var b = s.toBuilder();
        if (s.getRule() == ResolutionRule.RESOLUTION_RULE_UNSPECIFIED) {
            b.setRule(ResolutionRule.RESOLUTION_RULE_MAJORITY);
        }
        if (s.getRequiredReviews() == 0) {
            b.setRequiredReviews(1);
        }
        return b.build();
    }
}
