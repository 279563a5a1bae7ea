package io.plumbline.annotation.resolution;

import io.plumbline.annotation.Ids;
import io.plumbline.annotation.feedback.FeedbackEntity;
import io.plumbline.annotation.queue.AssignmentEntity;
import io.plumbline.annotation.queue.ItemCounters;
import io.plumbline.annotation.queue.ItemEntity;
import io.plumbline.annotation.queue.QueueEntity;
import io.plumbline.annotation.reviewer.Caller;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.annotation.v1.GetResolutionConfigRequest;
import io.plumbline.proto.annotation.v1.ResolutionConfig;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.UpdateResolutionConfigRequest;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A metric's resolution settings, and the settings in force for an item (its queue's override, else its metric's). */
@ApplicationScoped
public class ResolutionSettingsService {

    private final Resolutions resolutions;

    ResolutionSettingsService(Resolutions resolutions) {
        this.resolutions = resolutions;
    }

    /** The settings in force for the items of {@code queue} of metric {@code metricId}, defaults filled in. */
    public Uni<ResolutionSettings> inForce(QueueEntity queue, String metricId) {
        ResolutionSettings override = queue == null ? null : queue.resolutionOverride();
        if (override != null) {
            return Uni.createFrom().item(ResolutionRules.withDefaults(override));
        }
        return config(queue == null ? null : queue.projectId, metricId)
                .map(c -> c == null ? ResolutionRules.DEFAULT : ResolutionRules.withDefaults(c.settings()));
    }

    /** The settings in force for an item: kept on its row, and replaced there whenever its queue's or metric's change. */
    public Uni<ResolutionSettings> inForce(ItemEntity item) {
        return Uni.createFrom().item(item.settings());
    }

    @WithSession
    public Uni<ResolutionConfig> get(GetResolutionConfigRequest request) {
        requireMetric(request.getMetricId());
        return config(request.getProjectId(), request.getMetricId())
                .map(c -> toProto(request.getProjectId(), request.getMetricId(), c));
    }

    /** Sets a metric's settings and applies them to its unresolved items (in queues without an override). */
    @WithTransaction
    public Uni<ResolutionConfig> update(Caller caller, UpdateResolutionConfigRequest request) {
        caller.requireAdmin("changing resolution settings");
        requireMetric(request.getMetricId());
        Violations v = new Violations();
        ResolutionRules.settings(request.getSettings(), "settings", v);
        v.throwIfAny();
        ResolutionSettings settings = ResolutionRules.withDefaults(request.getSettings());
        return ResolutionConfigEntity.<ResolutionConfigEntity>find("projectId = ?1 and metricId = ?2",
                        request.getProjectId(), request.getMetricId())
                .withLock(LockModeType.PESSIMISTIC_WRITE).firstResult()
                .chain(existing -> {
                    long current = existing == null ? 0 : existing.revision;
                    if (request.getExpectedRevision() != 0 && request.getExpectedRevision() != current) {
                        throw ApiException.aborted("the resolution settings of metric " + request.getMetricId()
                                + " changed since revision " + request.getExpectedRevision() + ": they are at revision "
                                + current + "; read them again and retry", Map.of("revision", Long.toString(current)));
                    }
                    ResolutionConfigEntity row = existing;
                    if (row == null) {
                        row = new ResolutionConfigEntity();
                        row.id = Ids.newId();
                        row.projectId = request.getProjectId();
                        row.metricId = request.getMetricId();
                    }
                    row.settingsJson = ProtoJson.print(settings);
                    row.revision = current + 1;
                    row.updatedBy = caller.id();
                    row.updatedAt = ProtoJson.now();
                    ResolutionConfigEntity saved = row;
                    return saved.<ResolutionConfigEntity>persist()
                            .call(() -> applyToUnresolvedItems(request.getProjectId(), request.getMetricId(), settings))
                            .map(ignored -> toProto(request.getProjectId(), request.getMetricId(), saved));
                });
    }

    private Uni<Void> applyToUnresolvedItems(String projectId, String metricId, ResolutionSettings settings) {
        return ItemEntity.<ItemEntity>find("projectId = ?1 and metricId = ?2 and status <> ?3 and queueId in "
                                + "(select q.id from QueueEntity q where q.resolutionJson is null) order by createdAt",
                        projectId, metricId, io.plumbline.proto.annotation.v1.ReviewItem.Status.STATUS_RESOLVED.name())
                .withLock(LockModeType.PESSIMISTIC_WRITE).list()
                .chain(items -> apply(items, item -> settings));
    }

    /** Applies a queue's changed settings to its unresolved items. */
    public Uni<Void> applyToUnresolvedItems(QueueEntity queue) {
        return ItemEntity.<ItemEntity>find("queueId = ?1 and status <> ?2 order by createdAt", queue.id,
                        io.plumbline.proto.annotation.v1.ReviewItem.Status.STATUS_RESOLVED.name())
                .withLock(LockModeType.PESSIMISTIC_WRITE).list()
                .chain(items -> Multi.createFrom().iterable(items).onItem()
                        .transformToUniAndConcatenate(item -> inForce(queue, item.metricId)
                                .chain(settings -> apply(List.of(item), ignored -> settings)))
                        .collect().last().replaceWithVoid());
    }

    /** Puts the settings on each (locked) item, recounts it and applies its rule: it may resolve now. */
    private Uni<Void> apply(List<ItemEntity> items, java.util.function.Function<ItemEntity, ResolutionSettings> settingsOf) {
        return Multi.createFrom().iterable(items).onItem().transformToUniAndConcatenate(item -> {
                    ResolutionSettings settings = settingsOf.apply(item);
                    item.useSettings(settings);
                    return FeedbackEntity.<FeedbackEntity>list("itemId = ?1 order by createdAt", item.id)
                            .chain(feedback -> AssignmentEntity.<AssignmentEntity>list("itemId", item.id)
                                    .invoke(assignments -> ItemCounters.recount(item, feedback, assignments))
                                    .chain(() -> resolutions.settle(item, feedback, settings)));
                }).collect().last().replaceWithVoid();
    }

    private static Uni<ResolutionConfigEntity> config(String projectId, String metricId) {
        return ResolutionConfigEntity.<ResolutionConfigEntity>find("projectId = ?1 and metricId = ?2", projectId, metricId)
                .firstResult();
    }

    private static ResolutionConfig toProto(String projectId, String metricId, ResolutionConfigEntity c) {
        var b = ResolutionConfig.newBuilder().setProjectId(projectId).setMetricId(metricId);
        if (c == null) {
            return b.setSettings(ResolutionRules.DEFAULT).setIsDefault(true).build();
        }
        return b.setSettings(c.settings()).setRevision(c.revision).setUpdatedBy(c.updatedBy)
                .setUpdateTime(ProtoJson.timestamp(c.updatedAt)).build();
    }

    private static void requireMetric(String metricId) {
        if (metricId.isEmpty()) {
            throw ApiException.invalid("metric_id", "is required");
        }
    }
}
