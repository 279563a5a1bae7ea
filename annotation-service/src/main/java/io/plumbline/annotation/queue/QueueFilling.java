package io.plumbline.annotation.queue;

import io.plumbline.annotation.Ids;
import io.plumbline.annotation.intake.EvaluationEntity;
import io.plumbline.annotation.resolution.ResolutionSettingsService;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.annotation.v1.FillStrategy;
import io.plumbline.proto.annotation.v1.ReviewItem;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Offers a new evaluation to the queues of its metric: the metric's default queue (created with the first evaluation)
 * and the custom ones. Custom queues are asked first, oldest first, then the default queue; the first whose strategy
 * and matchers take it gets it, since an evaluation is queued at most once per project.
 */
@ApplicationScoped
public class QueueFilling {

    private final ResolutionSettingsService settings;
    private final String defaultStrategyJson;

    QueueFilling(ResolutionSettingsService settings,
            @ConfigProperty(name = "plumbline.annotation.default-queue.strategy", defaultValue = "{\"all\":{}}")
            String defaultStrategyJson) {
        this.settings = settings;
        this.defaultStrategyJson = ProtoJson.print(ProtoJson.parse(defaultStrategyJson, FillStrategy.getDefaultInstance()));
    }

    /** Offers the evaluation to its metric's queues; returns the item created, or null when no queue took it. */
    public Uni<ItemEntity> offer(EvaluationEntity row, Evaluation evaluation, RecordSnapshot snapshot) {
        return ensureDefaultQueue(row.projectId, row.metricId, evaluation.getMetricName())
                .chain(() -> QueueEntity.<QueueEntity>list("projectId = ?1 and metricId = ?2 and paused = false "
                        + "order by metricDefault, createdAt, id", row.projectId, row.metricId))
                .chain(queues -> firstTaker(queues, 0, evaluation, snapshot))
                .chain(taker -> taker == null ? Uni.createFrom().nullItem()
                        : create(taker.queue(), row, ReviewItem.Source.SOURCE_STRATEGY, "", taker.stratum()));
    }

    private record Taker(QueueEntity queue, String stratum) {
    }

    private Uni<Taker> firstTaker(List<QueueEntity> queues, int index, Evaluation evaluation, RecordSnapshot snapshot) {
        if (index == queues.size()) {
            return Uni.createFrom().nullItem();
        }
        QueueEntity queue = queues.get(index);
        FillStrategy strategy = queue.strategy();
        if (!FillStrategies.takes(strategy, evaluation) || !FillStrategies.matches(queue.matchers(), snapshot)) {
            return firstTaker(queues, index + 1, evaluation, snapshot);
        }
        if (strategy.getKindCase() != FillStrategy.KindCase.STRATIFIED) {
            return Uni.createFrom().item(new Taker(queue, ""));
        }
        return stratifiedRoom(queue, strategy, evaluation).chain(stratum -> stratum != null
                ? Uni.createFrom().item(new Taker(queue, stratum))
                : firstTaker(queues, index + 1, evaluation, snapshot));
    }

    /** The evaluation's stratum if the queue still takes items of it today (UTC), else null. */
    private static Uni<String> stratifiedRoom(QueueEntity queue, FillStrategy strategy, Evaluation evaluation) {
        return largestCountSeen(queue, evaluation).chain(max -> {
            String stratum = FillStrategies.stratum(strategy, evaluation, max);
            OffsetDateTime dayStart = OffsetDateTime.now(ZoneOffset.UTC).toLocalDate().atStartOfDay().atOffset(ZoneOffset.UTC);
            return ItemEntity.count("queueId = ?1 and stratum = ?2 and stratum <> '' and createdAt >= ?3", queue.id,
                            stratum, dayStart)
                    .map(n -> n < strategy.getStratified().getMaxItemsPerValuePerDay() ? stratum : null);
        });
    }

    /** For count metrics: the largest count the queue's items hold, the top of the bucket range. */
    private static Uni<Long> largestCountSeen(QueueEntity queue, Evaluation evaluation) {
        if (!evaluation.getValue().hasCount()) {
            return Uni.createFrom().item(0L);
        }
        return ItemEntity.<ItemEntity>find("queueId = ?1", queue.id).list()
                .chain(items -> items.isEmpty() ? Uni.createFrom().item(List.<EvaluationEntity>of())
                        : EvaluationEntity.<EvaluationEntity>list("id in ?1", items.stream().map(i -> i.evaluationId).toList()))
                .map(evaluations -> evaluations.stream().mapToLong(e -> e.toEvaluation().getValue().getCount())
                        .max().orElse(0L));
    }

    /** Creates the item of an evaluation in a queue, with the resolution settings in force. */
    public Uni<ItemEntity> create(QueueEntity queue, EvaluationEntity evaluation, ReviewItem.Source source,
            String addedBy, String stratum) {
        return settings.inForce(queue, evaluation.metricId).chain(s -> {
            ItemEntity item = new ItemEntity();
            item.id = Ids.newId();
            item.projectId = evaluation.projectId;
            item.queueId = queue.id;
            item.evaluationId = evaluation.id;
            item.metricId = evaluation.metricId;
            item.recordId = evaluation.recordId;
            item.status = ReviewItem.Status.STATUS_OPEN.name();
            item.source = source.name();
            item.addedBy = addedBy;
            item.stratum = stratum;
            item.useSettings(s);
            item.createdAt = ProtoJson.now();
            return item.persist();
        });
    }

    private Uni<Void> ensureDefaultQueue(String projectId, String metricId, String metricName) {
        return QueueEntity.count("projectId = ?1 and metricId = ?2 and metricDefault = true", projectId, metricId)
                .chain(n -> {
                    if (n > 0) {
                        return Uni.createFrom().voidItem();
                    }
                    String name = (metricName.isEmpty() ? metricId : metricName) + " (default)";
                    return QueueEntity.count("projectId = ?1 and name = ?2", projectId, name).chain(taken -> {
                        QueueEntity queue = new QueueEntity();
                        queue.id = Ids.newId();
                        queue.projectId = projectId;
                        queue.name = taken > 0 ? name + " " + metricId : name;
                        queue.description = "Every metric's own queue, created with its first evaluation";
                        queue.metricId = metricId;
                        queue.metricDefault = true;
                        queue.strategyJson = defaultStrategyJson;
                        queue.matchersJson = "{}";
                        queue.revision = 1;
                        queue.createdBy = "annotation-service";
                        queue.createdAt = ProtoJson.now();
                        queue.updatedAt = queue.createdAt;
                        return queue.persist().replaceWithVoid();
                    });
                });
    }
}
