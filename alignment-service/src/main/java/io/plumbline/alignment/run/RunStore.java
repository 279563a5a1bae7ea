package io.plumbline.alignment.run;

import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.kafka.Topic;
import io.plumbline.common.outbox.Outbox;
import io.plumbline.proto.alignment.v1.AlignmentEvent;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Every change of a run, in one transaction with its {@code plumbline.alignment} event (through the outbox) when the
 * change is one. A change applies only while the run is in the state it expects, so a cancel that committed first wins
 * over a worker still finishing a phase.
 */
@ApplicationScoped
public class RunStore {

    /** The run after the change, and whether the change applied. */
    public record Changed(AlignmentRun run, boolean applied) {
    }

    private final Outbox outbox;
    /** Every committed change, for WatchRun (this service runs as one replica). */
    private final io.smallrye.mutiny.operators.multi.processors.SerializedProcessor<AlignmentRun, AlignmentRun> changes =
            io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor.<AlignmentRun>create().serialized();

    RunStore(Outbox outbox) {
        this.outbox = outbox;
    }

    /** Every change committed from now on, of every run. */
    io.smallrye.mutiny.Multi<AlignmentRun> changes() {
        return io.smallrye.mutiny.Multi.createFrom().publisher(changes);
    }

    /** Inserts a new run with its STARTED event. */
    Uni<AlignmentRun> insert(RunEntity entity, AlignmentRun run) {
        return Panache.withTransaction(() -> {
            entity.set(run);
            return entity.persist().chain(() -> emit(run, AlignmentEvent.Type.TYPE_STARTED)).replaceWith(run);
        }).invoke(changes::onNext);
    }

    /**
     * Applies {@code change} when {@code when} holds for the stored run, sets its update time, and emits {@code event}
     * (null: no event). NOT_FOUND for an unknown run.
     */
    Uni<Changed> update(UUID id, Predicate<AlignmentRun> when, BiConsumer<RunEntity, AlignmentRun.Builder> change,
            AlignmentEvent.Type event) {
        return Panache.withTransaction(() -> RunEntity.<RunEntity>findById(id, LockModeType.PESSIMISTIC_WRITE)
                .chain(entity -> {
                    if (entity == null) {
                        throw ApiException.notFound("alignment run " + id + " does not exist");
                    }
                    AlignmentRun current = entity.proto();
                    if (!when.test(current)) {
                        return Uni.createFrom().item(new Changed(current, false));
                    }
                    AlignmentRun.Builder builder = current.toBuilder();
                    change.accept(entity, builder);
                    AlignmentRun updated = builder.setUpdateTime(ProtoJson.timestamp(ProtoJson.now())).build();
                    entity.set(updated);
                    Uni<Void> emitted = event == null ? Uni.createFrom().voidItem() : emit(updated, event);
                    return emitted.replaceWith(new Changed(updated, true));
                })).invoke(changed -> {
                    if (changed.applied()) {
                        changes.onNext(changed.run());
                    }
                });
    }

    /** Reads a run (in a session of its own). */
    Uni<RunEntity> find(UUID id) {
        return Panache.withSession(() -> RunEntity.<RunEntity>findById(id));
    }

    private Uni<Void> emit(AlignmentRun run, AlignmentEvent.Type type) {
        UUID eventId = UUID.randomUUID();
        return outbox.enqueue(Topic.ALIGNMENT, run.getMetricId(), eventId, AlignmentEvent.newBuilder()
                .setEventId(eventId.toString())
                .setEventTime(run.getUpdateTime())
                .setProjectId(run.getProjectId())
                .setRunId(run.getId())
                .setMetricId(run.getMetricId())
                .setType(type)
                .setRun(run)
                .build());
    }

    static boolean active(AlignmentRun run) {
        return run.getStatus() == AlignmentRun.Status.STATUS_PENDING || run.getStatus() == AlignmentRun.Status.STATUS_RUNNING;
    }
}
