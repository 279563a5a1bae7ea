package io.plumbline.annotation.queue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Prometheus gauges read from the database (so every replica reports the committed state): per queue, the items not
 * yet resolved ({@code plumbline_annotation_queue_depth}), those still needing reviews
 * ({@code plumbline_annotation_items_awaiting_review}) and those waiting for an admin
 * ({@code plumbline_annotation_items_awaiting_adjudication}); per project and rule, the resolved annotations
 * ({@code plumbline_annotation_resolutions}, rule {@code RESOLUTION_RULE_UNSPECIFIED} for imports as resolved).
 */
@ApplicationScoped
public class QueueGauges {

    private static final Logger LOG = Logger.getLogger(QueueGauges.class);

    private final Pool pool;
    private final MultiGauge depth;
    private final MultiGauge awaitingReview;
    private final MultiGauge awaitingAdjudication;
    private final MultiGauge resolutions;

    QueueGauges(Pool pool, MeterRegistry meters) {
        this.pool = pool;
        this.depth = MultiGauge.builder("plumbline.annotation.queue.depth")
                .description("Items of the queue not resolved yet (open or awaiting adjudication)").register(meters);
        this.awaitingReview = MultiGauge.builder("plumbline.annotation.items.awaiting.review")
                .description("Items of the queue that still need reviews").register(meters);
        this.awaitingAdjudication = MultiGauge.builder("plumbline.annotation.items.awaiting.adjudication")
                .description("Items of the queue whose reviews disagree, waiting for an admin").register(meters);
        this.resolutions = MultiGauge.builder("plumbline.annotation.resolutions")
                .description("Resolved annotations of the project by the rule that resolved them").register(meters);
    }

    @Scheduled(every = "${plumbline.annotation.gauges.refresh-interval:30s}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refresh() {
        return pool.withConnection(c -> c.query("""
                        select q.project_id, q.id, q.name,
                               count(i.id) as depth,
                               count(i.id) filter (where i.status = 'STATUS_OPEN') as awaiting_review,
                               count(i.id) filter (where i.status = 'STATUS_AWAITING_ADJUDICATION') as awaiting_adjudication
                        from review_queue q
                        left join review_item i on i.queue_id = q.id and i.status <> 'STATUS_RESOLVED'
                        group by q.project_id, q.id, q.name""").execute()
                .invoke(rows -> {
                    List<MultiGauge.Row<?>> d = new ArrayList<>();
                    List<MultiGauge.Row<?>> r = new ArrayList<>();
                    List<MultiGauge.Row<?>> a = new ArrayList<>();
                    rows.forEach(row -> {
                        Tags tags = Tags.of("project", row.getString("project_id"), "queue", row.getUUID("id").toString(),
                                "queue_name", row.getString("name"));
                        d.add(MultiGauge.Row.of(tags, row.getLong("depth")));
                        r.add(MultiGauge.Row.of(tags, row.getLong("awaiting_review")));
                        a.add(MultiGauge.Row.of(tags, row.getLong("awaiting_adjudication")));
                    });
                    depth.register(d, true);
                    awaitingReview.register(r, true);
                    awaitingAdjudication.register(a, true);
                })
                .chain(() -> c.query("select project_id, rule, count(*) as n from annotation group by project_id, rule")
                        .execute())
                .invoke(rows -> {
                    List<MultiGauge.Row<?>> n = new ArrayList<>();
                    rows.forEach(row -> n.add(MultiGauge.Row.of(Tags.of("project", row.getString("project_id"),
                            "rule", row.getString("rule")), row.getLong("n"))));
                    resolutions.register(n, true);
                }))
                .replaceWithVoid()
                // The next refresh tries again; the gauges keep their last values meanwhile.
                .onFailure().invoke(e -> LOG.warnf("Annotation gauges not refreshed this time: %s", e.getMessage()))
                .onFailure().recoverWithNull();
    }
}
