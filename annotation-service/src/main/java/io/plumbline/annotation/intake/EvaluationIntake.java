package io.plumbline.annotation.intake;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.annotation.queue.QueueFilling;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.kafka.ConsumerTransactions;
import io.plumbline.common.kafka.UnprocessableRecord;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Consumes {@code plumbline.evaluations}: stores each evaluation with its snapshot once (by evaluation id; a
 * redelivered or replayed event changes nothing) and offers it to its metric's queues, in one transaction.
 *
 * <p>A message that is not an {@code EvaluationEvent}, or lacks what a reviewer needs, is an
 * {@link UnprocessableRecord}: it fails at once and the connector moves it to {@code plumbline.evaluations.dlq} with
 * the reason in its headers. Other failures (the database, typically) are retried in place by
 * {@link ConsumerTransactions} until they pass: an outage delays evaluations and loses none.
 */
@ApplicationScoped
public class EvaluationIntake {

    public static final String CHANNEL = "evaluations";
    private static final Logger LOG = Logger.getLogger(EvaluationIntake.class);

    private final QueueFilling filling;
    private final ConsumerTransactions transactions;
    private final Counter stored;
    private final Counter duplicates;
    private final Counter queued;

    EvaluationIntake(QueueFilling filling, ConsumerTransactions transactions, MeterRegistry meters) {
        this.filling = filling;
        this.transactions = transactions;
        this.stored = Counter.builder("plumbline.annotation.evaluations.stored").register(meters);
        this.duplicates = Counter.builder("plumbline.annotation.evaluations.duplicates").register(meters);
        this.queued = Counter.builder("plumbline.annotation.items.queued").register(meters);
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(byte[] payload) {
        return Uni.createFrom().deferred(() -> {
            EvaluationEvent event = parse(payload);
            return transactions.process(CHANNEL, () -> take(event));
        }).onFailure(UnprocessableRecord.class).invoke(failure -> LOG.warnf(
                "Evaluation event refused, to the dead-letter topic: %s", failure.getMessage()));
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
            row.evaluatedAt = evaluation.hasCreateTime() ? ProtoJson.offsetDateTime(evaluation.getCreateTime())
                    : ProtoJson.offsetDateTime(event.getEventTime());
            row.receivedAt = ProtoJson.now();
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

    /** The event, or an {@link UnprocessableRecord} saying what is wrong with it. */
    static EvaluationEvent parse(byte[] payload) {
        EvaluationEvent event = UnprocessableRecord.decode(payload, EvaluationEvent.parser(),
                "plumbline.judge.v1.EvaluationEvent");
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
            throw new UnprocessableRecord("EvaluationEvent " + event.getEventId() + " lacks" + missing);
        }
        if (!event.getMetricId().equals(evaluation.getMetricVersion().getMetricId())) {
            throw new UnprocessableRecord("EvaluationEvent " + event.getEventId() + " has metric_id " + event.getMetricId()
                    + " but its evaluation is of metric " + evaluation.getMetricVersion().getMetricId());
        }
        if (!event.getProjectId().equals(evaluation.getProjectId())) {
            throw new UnprocessableRecord("EvaluationEvent " + event.getEventId() + " has project_id "
                    + event.getProjectId() + " but its evaluation is of project " + evaluation.getProjectId());
        }
        return event;
    }
}
