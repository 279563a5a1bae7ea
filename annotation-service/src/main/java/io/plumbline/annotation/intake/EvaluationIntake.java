package io.plumbline.annotation.intake;

import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.annotation.queue.QueueFilling;
import io.plumbline.annotation.store.ProtoColumns;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Consumes {@code plumbline.evaluations}: stores each evaluation with its snapshot once (by evaluation id; a
 * redelivered or replayed event changes nothing) and offers it to its metric's queues, in one transaction.
 *
 * <p>A message that is not an {@code EvaluationEvent}, or lacks what a reviewer needs, is a {@link PoisonEvaluation}:
 * it fails at once and the connector moves it to {@code plumbline.evaluations.dlq} with the reason in its headers.
 * Other failures (the database, typically) are retried with backoff first, then dead-lettered the same way.
 */
@ApplicationScoped
public class EvaluationIntake {

    public static final String CHANNEL = "evaluations";
    private static final Logger LOG = Logger.getLogger(EvaluationIntake.class);

    private final QueueFilling filling;
    private final int retries;
    private final Counter stored;
    private final Counter duplicates;
    private final Counter queued;

    EvaluationIntake(QueueFilling filling, MeterRegistry meters,
            @ConfigProperty(name = "plumbline.annotation.intake.retries", defaultValue = "3") int retries) {
        this.filling = filling;
        this.retries = retries;
        this.stored = Counter.builder("plumbline.annotation.evaluations.stored").register(meters);
        this.duplicates = Counter.builder("plumbline.annotation.evaluations.duplicates").register(meters);
        this.queued = Counter.builder("plumbline.annotation.items.queued").register(meters);
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(byte[] payload) {
        Uni<Void> work = Uni.createFrom().deferred(() -> {
            EvaluationEvent event = parse(payload);
            return Panache.withTransaction(() -> take(event));
        });
        return work.onFailure(failure -> !(failure instanceof PoisonEvaluation))
                .retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(2)).atMost(retries)
                .onFailure().invoke(failure -> LOG.warnf("Evaluation event refused, to the dead-letter topic: %s",
                        failure.getMessage()));
    }

    private Uni<Void> take(EvaluationEvent event) {
        Evaluation evaluation = event.getEvaluation();
        return EvaluationEntity.<EvaluationEntity>findById(evaluation.getId()).chain(existing -> {
            if (existing != null) {
                duplicates.increment();
                return Uni.createFrom().voidItem();
            }
            EvaluationEntity row = new EvaluationEntity();
            row.id = evaluation.getId();
            row.eventId = event.getEventId();
            row.projectId = event.getProjectId();
            row.metricId = event.getMetricId();
            row.metricVersion = evaluation.getMetricVersion().getVersion();
            row.recordId = evaluation.getRecord().getRecordId();
            row.status = evaluation.getStatus().name();
            row.evaluation = evaluation.toByteArray();
            row.snapshot = event.getSnapshot().toByteArray();
            row.evaluatedAt = evaluation.hasCreateTime() ? ProtoColumns.time(evaluation.getCreateTime())
                    : ProtoColumns.time(event.getEventTime());
            row.receivedAt = ProtoColumns.now();
            return row.persist().invoke(() -> stored.increment()).chain(() -> {
                if (evaluation.getStatus() != Evaluation.Status.STATUS_OK) {
                    return Uni.createFrom().voidItem(); // kept for AddItems' reports; only judged values are reviewed
                }
                return filling.offer(row, evaluation, event.getSnapshot())
                        .invoke(item -> {
                            if (item != null) {
                                queued.increment();
                            }
                        }).replaceWithVoid();
            });
        });
    }

    /** The event, or a {@link PoisonEvaluation} saying what is wrong with it. */
    static EvaluationEvent parse(byte[] payload) {
        if (payload == null || payload.length == 0) {
            throw new PoisonEvaluation("empty message: expected a plumbline.judge.v1.EvaluationEvent");
        }
        EvaluationEvent event;
        try {
            event = EvaluationEvent.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new PoisonEvaluation("not a plumbline.judge.v1.EvaluationEvent: " + e.getMessage());
        }
        Evaluation evaluation = event.getEvaluation();
        StringBuilder missing = new StringBuilder();
        if (event.getEventId().isEmpty()) {
            missing.append(" event_id");
        }
        if (event.getProjectId().isEmpty()) {
            missing.append(" project_id");
        }
        if (event.getMetricId().isEmpty()) {
            missing.append(" metric_id");
        }
        if (evaluation.getId().isEmpty()) {
            missing.append(" evaluation.id");
        }
        if (evaluation.getRecord().getRecordId().isEmpty()) {
            missing.append(" evaluation.record.record_id");
        }
        if (evaluation.getOutputType().getKindCase() == io.plumbline.proto.common.v1.OutputType.KindCase.KIND_NOT_SET) {
            missing.append(" evaluation.output_type");
        }
        if (evaluation.getStatus() == Evaluation.Status.STATUS_OK && !evaluation.hasValue()) {
            missing.append(" evaluation.value");
        }
        if (!missing.isEmpty()) {
            throw new PoisonEvaluation("EvaluationEvent " + event.getEventId() + " lacks" + missing);
        }
        if (!event.getMetricId().equals(evaluation.getMetricVersion().getMetricId())) {
            throw new PoisonEvaluation("EvaluationEvent " + event.getEventId() + " has metric_id " + event.getMetricId()
                    + " but its evaluation is of metric " + evaluation.getMetricVersion().getMetricId());
        }
        if (!event.getProjectId().equals(evaluation.getProjectId())) {
            throw new PoisonEvaluation("EvaluationEvent " + event.getEventId() + " has project_id "
                    + event.getProjectId() + " but its evaluation is of project " + evaluation.getProjectId());
        }
        return event;
    }

    /** A message that can never be processed: it goes to the dead-letter topic without retries. */
    public static final class PoisonEvaluation extends RuntimeException {
        PoisonEvaluation(String message) {
            super(message);
        }
    }
}
