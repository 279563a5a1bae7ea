package io.plumbline.annotation.resolution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.common.v1.MetricValue;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResolverTest {

    private static final MetricValue YES = MetricValue.newBuilder().setCategorical("yes").build();
    private static final MetricValue NO = MetricValue.newBuilder().setCategorical("no").build();

    private static ResolutionSettings settings(ResolutionRule rule, int required) {
        return ResolutionSettings.newBuilder().setRule(rule).setRequiredReviews(required).build();
    }

    private static Resolver.Vote vote(String who, MetricValue v) {
        return new Resolver.Vote(who, v);
    }

    private static MetricValue count(long n) {
        return MetricValue.newBuilder().setCount(n).build();
    }

    @Test
    void fewerReviewsThanRequiredArePending() {
        assertInstanceOf(Resolver.Pending.class, Resolver.decide(settings(ResolutionRule.RESOLUTION_RULE_MAJORITY, 3),
                List.of(vote("a", YES), vote("b", YES))));
    }

    @Test
    void majorityNeedsMoreThanHalf() {
        var rule = settings(ResolutionRule.RESOLUTION_RULE_MAJORITY, 3);
        assertEquals(new Resolver.Resolved(NO), Resolver.decide(rule, List.of(vote("a", YES), vote("b", NO), vote("c", NO))));
        assertInstanceOf(Resolver.NeedsAdjudication.class, Resolver.decide(settings(ResolutionRule.RESOLUTION_RULE_MAJORITY, 2),
                List.of(vote("a", YES), vote("b", NO))));
    }

    @Test
    void unanimousNeedsEveryoneToAgree() {
        var rule = settings(ResolutionRule.RESOLUTION_RULE_UNANIMOUS, 3);
        assertEquals(new Resolver.Resolved(YES), Resolver.decide(rule, List.of(vote("a", YES), vote("b", YES), vote("c", YES))));
        assertInstanceOf(Resolver.NeedsAdjudication.class,
                Resolver.decide(rule, List.of(vote("a", YES), vote("b", YES), vote("c", NO))));
    }

    @Test
    void thePrincipalsValueWinsAndNothingIsDecidedWithoutThem() {
        var rule = settings(ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT, 2).toBuilder().setPrincipalReviewerId("p").build();
        assertEquals(new Resolver.Resolved(NO), Resolver.decide(rule, List.of(vote("a", YES), vote("p", NO))));
        assertInstanceOf(Resolver.Pending.class, Resolver.decide(rule, List.of(vote("a", YES), vote("b", YES))));
    }

    @Test
    void numericValuesWithinTheToleranceFormOneGroupResolvedToItsMedian() {
        var rule = settings(ResolutionRule.RESOLUTION_RULE_MAJORITY, 4).toBuilder().setNumericTolerance(1).build();
        assertEquals(new Resolver.Resolved(count(4)), Resolver.decide(rule,
                List.of(vote("a", count(4)), vote("b", count(5)), vote("c", count(3)), vote("d", count(9)))));
        var exact = settings(ResolutionRule.RESOLUTION_RULE_UNANIMOUS, 2);
        assertInstanceOf(Resolver.NeedsAdjudication.class,
                Resolver.decide(exact, List.of(vote("a", count(4)), vote("b", count(5)))));
    }
}
