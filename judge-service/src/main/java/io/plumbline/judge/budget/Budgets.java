package io.plumbline.judge.budget;

import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.registry.v1.Binding;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Daily token budgets of metric bindings (UTC days), kept in {@code budget_usage} so that every replica sees the same
 * spending. Judging asks before each judgment; once a binding's tokens reached its budget, its records are skipped for
 * the rest of the day and counted. The day the budget runs out is logged once, as a warning, by the replica whose
 * judgment crossed it (the database decides which). Judgments already in flight when the budget runs out still
 * finish, so a day may overshoot by at most the concurrency times one judgment's tokens.
 */
@ApplicationScoped
public class Budgets {

    private static final Logger LOG = Logger.getLogger(Budgets.class);
    static final String TODAY = "(now() at time zone 'utc')::date";

    private final Pool pool;
    private final MeterRegistry meters;

    Budgets(Pool pool, MeterRegistry meters) {
        this.pool = pool;
        this.meters = meters;
    }

    /** True unless the binding has a budget and it is spent today. */
    public Uni<Boolean> allows(String projectId, String metricId, Binding binding) {
        if (binding.getDailyTokenBudget() <= 0) {
            return Uni.createFrom().item(true);
        }
        return pool.preparedQuery("select exhausted_at is null from budget_usage where project_id = $1 and metric_id = $2"
                        + " and binding_name = $3 and day = " + TODAY)
                .execute(Tuple.of(projectId, UUID.fromString(metricId), binding.getName()))
                .map(rows -> !rows.iterator().hasNext() || rows.iterator().next().getBoolean(0));
    }

    /** Counts a record skipped because the budget is spent. */
    public Uni<Void> skipped(String projectId, String metricId, String metricName, Binding binding) {
        meters.counter("plumbline.judge.records.skipped.budget", "metric", metricName, "binding", binding.getName())
                .increment();
        return pool.preparedQuery("insert into budget_usage (project_id, metric_id, binding_name, day, daily_budget,"
                        + " skipped_budget) values ($1, $2, $3, " + TODAY + ", $4, 1)"
                        + " on conflict (project_id, metric_id, binding_name, day)"
                        + " do update set skipped_budget = budget_usage.skipped_budget + 1")
                .execute(Tuple.of(projectId, UUID.fromString(metricId), binding.getName(), binding.getDailyTokenBudget()))
                .replaceWithVoid();
    }

    /** Adds a stored evaluation's tokens and cost to the binding's day; warns once when that spends the budget. */
    public Uni<Void> spent(String projectId, String metricId, String metricName, Binding binding, Evaluation evaluation) {
        long tokens = evaluation.getPromptTokens() + evaluation.getCompletionTokens();
        long budget = binding.getDailyTokenBudget();
        return pool.preparedQuery("""
                        insert into budget_usage as u (project_id, metric_id, binding_name, day, daily_budget, tokens_used,
                            evaluations, cost_usd, exhausted_at)
                        values ($1, $2, $3, %s, $4, $5, 1, $6, case when $4 > 0 and $5 >= $4 then now() end)
                        on conflict (project_id, metric_id, binding_name, day) do update set
                            daily_budget = $4,
                            tokens_used = u.tokens_used + $5,
                            evaluations = u.evaluations + 1,
                            cost_usd = u.cost_usd + $6,
                            exhausted_at = case when u.exhausted_at is null and $4 > 0 and u.tokens_used + $5 >= $4
                                                then now() else u.exhausted_at end
                        returning exhausted_at = now() as just_exhausted, tokens_used""".formatted(TODAY))
                .execute(Tuple.of(projectId, UUID.fromString(metricId), binding.getName(), budget, tokens,
                        evaluation.getCostUsd()))
                .invoke(rows -> {
                    var row = rows.iterator().next();
                    if (Boolean.TRUE.equals(row.getBoolean("just_exhausted"))) {
                        meters.counter("plumbline.judge.budget.exhausted", "metric", metricName, "binding",
                                binding.getName()).increment();
                        LOG.warnf("The daily token budget of metric %s (%s), binding %s, is spent: %d of %d tokens;"
                                + " its records are skipped until the next UTC day", metricName, metricId,
                                binding.getName(), row.getLong("tokens_used"), budget);
                    }
                })
                .replaceWithVoid();
    }
}
