package io.plumbline.judge.budget;

import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.judge.v1.BudgetUsage;
import io.plumbline.proto.judge.v1.ListBudgetUsageRequest;
import io.plumbline.proto.judge.v1.ListBudgetUsageResponse;
import io.vertx.mutiny.sqlclient.Row;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import io.plumbline.proto.registry.v1.Binding;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

    /** Usage per metric binding on one UTC day (today by default), ordered by metric id then binding name. */
    public Uni<ListBudgetUsageResponse> usage(ListBudgetUsageRequest request) {
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        LocalDate day;
        try {
            day = request.getDate().isEmpty() ? LocalDate.now(ZoneOffset.UTC) : LocalDate.parse(request.getDate());
        } catch (DateTimeParseException e) {
            throw ApiException.invalid("date", "must be a day as YYYY-MM-DD (was \"" + request.getDate() + "\")");
        }
        UUID metricId = null;
        if (!request.getMetricId().isEmpty()) {
            try {
                metricId = UUID.fromString(request.getMetricId());
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("metric_id", "must be a UUID (was \"" + request.getMetricId() + "\")");
            }
        }
        String after = PageToken.decode(request.getPageToken());
        String afterMetric = after == null ? "" : after.substring(0, after.indexOf('|'));
        String afterBinding = after == null ? "" : after.substring(after.indexOf('|') + 1);
        return pool.preparedQuery("""
                        select * from budget_usage where project_id = $1 and day = $2
                          and ($3::uuid is null or metric_id = $3) and (not $4 or exhausted_at is not null)
                          and (metric_id::text, binding_name) > ($5, $6)
                        order by metric_id::text, binding_name limit $7""")
                .execute(Tuple.from(new Object[] {request.getProjectId(), day, metricId, request.getExhaustedOnly(),
                        afterMetric, afterBinding, size + 1}))
                .map(rows -> {
                    var response = ListBudgetUsageResponse.newBuilder();
                    int count = 0;
                    for (Row row : rows) {
                        if (++count > size) {
                            BudgetUsage last = response.getUsage(size - 1);
                            response.setNextPageToken(PageToken.encode(last.getMetricId() + "|" + last.getBindingName()));
                            break;
                        }
                        long budget = row.getLong("daily_budget");
                        long used = row.getLong("tokens_used");
                        var usage = BudgetUsage.newBuilder().setProjectId(row.getString("project_id"))
                                .setMetricId(row.getUUID("metric_id").toString()).setBindingName(row.getString("binding_name"))
                                .setDate(row.getLocalDate("day").toString()).setDailyTokenBudget(budget)
                                .setTokensUsed(used).setTokensRemaining(budget > 0 ? Math.max(0, budget - used) : 0)
                                .setEvaluations(row.getLong("evaluations")).setSkippedBudget(row.getLong("skipped_budget"))
                                .setCostUsd(row.getDouble("cost_usd"));
                        OffsetDateTime exhausted = row.getOffsetDateTime("exhausted_at");
                        if (exhausted != null) {
                            usage.setExhausted(true).setExhaustTime(ProtoJson.timestamp(exhausted));
                        }
                        response.addUsage(usage);
                    }
                    return response.build();
                });
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

    /** One stored judgment's spending, for {@link #spent}. */
    public record Spending(String projectId, String metricId, String metricName, Binding binding, long tokens,
            double costUsd) {
    }

    /** The binding name under which ad-hoc Evaluate calls of a stored metric version count their spending. */
    public static final Binding AD_HOC = Binding.newBuilder().setName("ad-hoc").build();

    /** Adds judgments' tokens and cost to their bindings' day, in a transaction of their own. */
    public Uni<Void> spent(List<Spending> spendings) {
        return pool.withTransaction(connection -> spent(connection, spendings));
    }

    /**
     * Adds stored judgments' tokens and cost to their bindings' day, one statement per binding (in a fixed order, so
     * that concurrent writers cannot deadlock), in the caller's transaction; warns once for a budget that this spends.
     */
    public Uni<Void> spent(SqlConnection connection, List<Spending> spendings) {
        Map<List<String>, List<Spending>> byBinding = new TreeMap<>(Comparator.comparing(Object::toString));
        spendings.forEach(s -> byBinding.computeIfAbsent(List.of(s.projectId(), s.metricId(), s.binding().getName()),
                k -> new ArrayList<>()).add(s));
        return Multi.createFrom().iterable(byBinding.values())
                .onItem().transformToUniAndConcatenate(group -> spentByBinding(connection, group))
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> spentByBinding(SqlConnection connection, List<Spending> group) {
        Spending first = group.get(0);
        long tokens = group.stream().mapToLong(Spending::tokens).sum();
        double cost = group.stream().mapToDouble(Spending::costUsd).sum();
        long budget = first.binding().getDailyTokenBudget();
        return connection.preparedQuery("""
                        insert into budget_usage as u (project_id, metric_id, binding_name, day, daily_budget, tokens_used,
                            evaluations, cost_usd, exhausted_at)
                        values ($1, $2, $3, %s, $4::bigint, $5::bigint, $7::bigint, $6::double precision,
                                case when $4::bigint > 0 and $5::bigint >= $4::bigint then now() end)
                        on conflict (project_id, metric_id, binding_name, day) do update set
                            daily_budget = $4::bigint,
                            tokens_used = u.tokens_used + $5::bigint,
                            evaluations = u.evaluations + $7::bigint,
                            cost_usd = u.cost_usd + $6::double precision,
                            exhausted_at = case when u.exhausted_at is null and $4::bigint > 0
                                                     and u.tokens_used + $5::bigint >= $4::bigint
                                                then now() else u.exhausted_at end
                        returning exhausted_at = now() as just_exhausted, tokens_used""".formatted(TODAY))
                .execute(Tuple.from(List.<Object>of(first.projectId(), UUID.fromString(first.metricId()),
                        first.binding().getName(), budget, tokens, cost, group.size())))
                .invoke(rows -> {
                    var row = rows.iterator().next();
                    if (Boolean.TRUE.equals(row.getBoolean("just_exhausted"))) {
                        meters.counter("plumbline.judge.budget.exhausted", "metric", first.metricName(), "binding",
                                first.binding().getName()).increment();
                        LOG.warnf("The daily token budget of metric %s (%s), binding %s, is spent: %d of %d tokens;"
                                + " its records are skipped until the next UTC day", first.metricName(), first.metricId(),
                                first.binding().getName(), row.getLong("tokens_used"), budget);
                    }
                })
                .replaceWithVoid();
    }
}
