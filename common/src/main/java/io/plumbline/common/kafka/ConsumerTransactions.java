package io.plumbline.common.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Runs the processing of one Kafka record in a database transaction. A transient failure (the database is down, a
 * serialization conflict) is retried with exponential backoff for as long as it lasts, so an outage delays records
 * and loses none; the partition waits meanwhile. An {@link UnprocessableRecord} is not retried: it fails the record at
 * once, for the dead-letter topic.
 */
@ApplicationScoped
public class ConsumerTransactions {

    private static final Logger LOG = Logger.getLogger(ConsumerTransactions.class);

    private final MeterRegistry meters;
    private final Duration firstBackoff;
    private final Duration maxBackoff;

    ConsumerTransactions(MeterRegistry meters,
            @ConfigProperty(name = "plumbline.consumer.retry.first-backoff", defaultValue = "200ms") Duration firstBackoff,
            @ConfigProperty(name = "plumbline.consumer.retry.max-backoff", defaultValue = "10s") Duration maxBackoff) {
        this.meters = meters;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
    }

    /** Processes a record of {@code channel} in a transaction, retrying transient failures until it commits. */
    public Uni<Void> process(String channel, Supplier<Uni<Void>> work) {
        return Panache.withTransaction(work)
                .onFailure(failure -> !(failure instanceof UnprocessableRecord))
                .invoke(failure -> {
                    meters.counter("plumbline.consumer.retries", "channel", channel).increment();
                    LOG.warnf("Processing a record of %s failed, retrying: %s", channel, failure.toString());
                })
                .onFailure(failure -> !(failure instanceof UnprocessableRecord))
                .retry().withBackOff(firstBackoff, maxBackoff).indefinitely();
    }
}
