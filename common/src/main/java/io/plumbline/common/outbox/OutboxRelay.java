package io.plumbline.common.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Publishes committed outbox rows to Kafka in id order and marks them published. One replica relays at a time (a
 * transaction-scoped advisory lock; the others skip their pass), so a key's events leave in order whichever replicas
 * are woken, and no row is sent twice at once. It runs on its poll and whenever {@link OutboxNotifications} hears a
 * commit that wrote events. A broker
 * outage leaves rows unpublished and they go out when it is back: events are delayed, never lost. Delivery is at
 * least once (a crash between the send and the mark resends), so every event carries an {@code event_id} header for
 * consumers to dedupe.
 *
 * <p>Blocking on purpose: it runs on a scheduler worker thread with JDBC and a plain Kafka producer, away from the
 * event loop, because it must wait for the broker's acknowledgement before marking a row.
 */
@ApplicationScoped
public class OutboxRelay {

    public static final String EVENT_ID_HEADER = "event_id";
    /** The advisory lock key of the relays of one database (any constant; each service has its own database). */
    private static final long RELAY_LOCK = 0x706c756d626c696eL;
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final DataSource dataSource;
    private final String bootstrapServers;
    private final int batchSize;
    private final Duration sendTimeout;
    private final Counter published;
    private final AtomicLong pending = new AtomicLong();
    private volatile KafkaProducer<String, byte[]> producer;
    private volatile boolean brokerWasDown;
    private volatile boolean stopped;
    private volatile String lastFailure = "";
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean requested = new AtomicBoolean();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Runs the passes that wake-ups ask for: a thread of the relay's own, blocking on JDBC and the broker. */
    private final ScheduledExecutorService wakeUps = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("outbox-relay-wake-ups").factory());
    private final Duration wakeUpDelay;

    OutboxRelay(DataSource dataSource, MeterRegistry meters,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
            @ConfigProperty(name = "plumbline.outbox.batch-size", defaultValue = "500") int batchSize,
            @ConfigProperty(name = "plumbline.outbox.send-timeout", defaultValue = "10s") Duration sendTimeout,
            @ConfigProperty(name = "plumbline.outbox.wake-up-delay", defaultValue = "200ms") Duration wakeUpDelay) {
        this.wakeUpDelay = wakeUpDelay;
        this.dataSource = dataSource;
        this.bootstrapServers = bootstrapServers;
        this.batchSize = batchSize;
        this.sendTimeout = sendTimeout;
        this.published = Counter.builder("plumbline.outbox.published").description("Outbox events published to Kafka")
                .register(meters);
        meters.gauge("plumbline.outbox.pending", pending);
    }

    /**
     * Publishes what committed soon rather than at the next poll, on the relay's own thread:
     * {@link OutboxNotifications} calls it when a transaction that wrote events commits. Passes start at most one per {@code plumbline.outbox.wake-up-delay}:
     * commits that come faster share a pass, and the relay's cost stays bounded however fast events are written (a
     * service committing hundreds of events a second would otherwise run a relay transaction and a produce request for
     * each). While the broker is away, the poll alone retries.
     */
    public void publishSoon() {
        requested.set(true);
        if (brokerWasDown || stopped || !scheduled.compareAndSet(false, true)) {
            return; // a pass is scheduled already, and takes this request with it
        }
        try {
            wakeUps.schedule(() -> {
                scheduled.set(false);
                relay();
            }, wakeUpDelay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            scheduled.set(false); // the next start's poll publishes it
        }
    }

    @Scheduled(every = "${plumbline.outbox.poll-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void relay() {
        if (stopped || !running.compareAndSet(false, true)) {
            return; // the run under way passes again if asked to (below)
        }
        try {
            requested.set(false);
            drain();
        } finally {
            running.set(false);
        }
        if (requested.get() && !brokerWasDown) {
            publishSoon(); // asked for during this pass: one more, after the delay
        }
    }

    private void drain() {
        try {
            int sent;
            do {
                sent = relayBatch();
            } while (sent == batchSize);
            if (brokerWasDown) {
                LOG.info("Outbox relay publishes again");
                brokerWasDown = false;
            }
        } catch (SQLException e) {
            LOG.warnf("Outbox relay cannot read the outbox: %s", e.getMessage());
        } catch (PublishFailed e) {
            if (!brokerWasDown) {
                LOG.warnf("Outbox relay cannot publish, will retry: %s", e.getMessage());
                brokerWasDown = true;
            }
        }
    }

    /** Publishes one batch in commit order; returns how many rows it published. */
    int relayBatch() throws SQLException {
        List<Row> rows;
        List<Long> sent;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                if (!relayLock(connection)) {
                    connection.rollback();
                    return 0; // another replica is relaying; it was woken too, and takes what this one would have
                }
                rows = lockUnpublished(connection);
                sent = send(rows);
                markPublished(connection, sent);
                pending.set(countUnpublished(connection));
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
        published.increment(sent.size());
        if (sent.size() < rows.size()) {
            throw new PublishFailed((rows.size() - sent.size()) + " event(s) not acknowledged by the broker: " + lastFailure);
        }
        return sent.size();
    }

    /**
     * One relay at a time across replicas, for this transaction: every replica is woken by the same commit, and two
     * taking disjoint rows at once would send a key's later event before its earlier one.
     */
    private static boolean relayLock(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("select pg_try_advisory_xact_lock(?)")) {
            lock.setLong(1, RELAY_LOCK);
            try (ResultSet rs = lock.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private List<Row> lockUnpublished(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                select id, event_id, topic, message_key, payload from outbox_event
                where published_at is null order by id limit ? for update skip locked""")) {
            select.setInt(1, batchSize);
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getBytes(5)));
                }
            }
            return rows;
        }
    }

    /** Sends all rows and waits for the acknowledgements; returns the ids of the acknowledged prefix. */
    private List<Long> send(List<Row> rows) {
        List<Long> acknowledged = new ArrayList<>();
        if (rows.isEmpty()) {
            return acknowledged;
        }
        List<Future<?>> acks = new ArrayList<>();
        try {
            for (Row row : rows) {
                var record = new ProducerRecord<>(row.topic(), row.key(), row.payload());
                record.headers().add(new RecordHeader(EVENT_ID_HEADER, row.eventId().getBytes(StandardCharsets.UTF_8)));
                acks.add(producer().send(record));
            }
            producer().flush(); // the whole batch leaves now, in as few requests as it fits
        } catch (RuntimeException e) {
            lastFailure = e.toString();
        }
        long deadline = System.nanoTime() + sendTimeout.toNanos();
        for (int i = 0; i < acks.size(); i++) {
            try {
                acks.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                acknowledged.add(rows.get(i).id());
            } catch (Exception e) {
                lastFailure = e.toString();
                break;
            }
        }
        return acknowledged;
    }

    private static void markPublished(Connection connection, List<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement update = connection.prepareStatement(
                "update outbox_event set published_at = now() where id = any(?)")) {
            update.setArray(1, connection.createArrayOf("bigint", ids.toArray()));
            update.executeUpdate();
        }
    }

    private static long countUnpublished(Connection connection) throws SQLException {
        try (PreparedStatement count = connection.prepareStatement(
                "select count(*) from outbox_event where published_at is null");
                ResultSet rs = count.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            synchronized (this) {
                if (producer == null) {
                    Properties config = new Properties();
                    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
                    config.put(ProducerConfig.ACKS_CONFIG, "all");
                    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) sendTimeout.toMillis());
                    // The broker must answer within the send timeout: delivery >= request + linger, as Kafka requires.
                    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) sendTimeout.toMillis());
                    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) sendTimeout.toMillis() / 2);
                    config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
                    // A batch of rows goes out at once: large per-partition batches mean few requests to the broker.
                    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
                    config.put(ProducerConfig.CLIENT_ID_CONFIG, "plumbline-outbox-relay");
                    producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
                }
            }
        }
        return producer;
    }

    void close(@Observes ShutdownEvent event) {
        stopped = true;
        wakeUps.shutdownNow();
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    private record Row(long id, String eventId, String topic, String key, byte[] payload) {
    }

    private static final class PublishFailed extends RuntimeException {
        PublishFailed(String message) {
            super(message);
        }
    }
}
