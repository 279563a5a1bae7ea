package io.plumbline.annotation.resolution;

import io.plumbline.common.metric.OutputTypes;
import io.plumbline.annotation.queue.FillStrategies;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.common.v1.MetricValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The resolution rules, pure: from the reviewers' values to an outcome. */
public final class Resolver {

    /** One reviewer's value. */
    public record Vote(String reviewerId, MetricValue value) {
    }

    /** What the reviews so far decide. */
    public sealed interface Outcome {
    }

    /** More reviews are needed. */
    public record Pending() implements Outcome {
    }

    /** The reviews disagree in a way the rule cannot settle: an admin decides. */
    public record NeedsAdjudication() implements Outcome {
    }

    /** The reviews decide {@code value}. */
    public record Resolved(MetricValue value) implements Outcome {
    }

    private Resolver() {
    }

    public static Outcome decide(ResolutionSettings settings, List<Vote> votes) {
        ResolutionSettings s = ResolutionRules.withDefaults(settings);
        if (votes.size() < s.getRequiredReviews()) {
            return new Pending();
        }
        double tolerance = s.getNumericTolerance();
        return switch (s.getRule()) {
            case RESOLUTION_RULE_PRINCIPAL_EXPERT -> votes.stream()
                    .filter(v -> v.reviewerId().equals(s.getPrincipalReviewerId()))
                    .<Outcome>map(v -> new Resolved(v.value()))
                    .findFirst().orElse(new Pending());
            case RESOLUTION_RULE_UNANIMOUS -> {
                List<Vote> group = largestAgreeingGroup(votes, tolerance);
                yield group.size() == votes.size() ? new Resolved(representative(group)) : new NeedsAdjudication();
            }
            default -> {
                List<Vote> group = largestAgreeingGroup(votes, tolerance);
                yield group.size() * 2 > votes.size() ? new Resolved(representative(group)) : new NeedsAdjudication();
            }
        };
    }

    /** The largest set of votes agreeing with one of them (the first such on a tie). */
    static List<Vote> largestAgreeingGroup(List<Vote> votes, double tolerance) {
        List<Vote> best = List.of();
        for (Vote anchor : votes) {
            List<Vote> group = votes.stream()
                    .filter(v -> OutputTypes.agree(anchor.value(), v.value(), tolerance)).toList();
            if (group.size() > best.size()) {
                best = group;
            }
        }
        return best;
    }

    /** For numeric values the median of the group (the lower middle one for an even count); otherwise the value. */
    static MetricValue representative(List<Vote> group) {
        if (FillStrategies.numeric(group.get(0).value()) == null) {
            return group.get(0).value();
        }
        List<MetricValue> sorted = new ArrayList<>(group.stream().map(Vote::value).toList());
        sorted.sort(Comparator.comparingDouble(FillStrategies::numeric));
        return sorted.get((sorted.size() - 1) / 2);
    }
}
