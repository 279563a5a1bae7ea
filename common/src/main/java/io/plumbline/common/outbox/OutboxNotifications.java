package io.plumbline.common.outbox;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes the {@link OutboxRelay} as soon as a transaction that wrote outbox events commits, on whichever replica wrote
 * them: a trigger on {@code outbox_event} raises a PostgreSQL notification on the channel {@code outbox_event}
 * ({@code R__outbox_notify.sql}), delivered at commit, and every replica listens for it on a connection of its own.
 * Events are then published within milliseconds instead of at the relay's next poll; the poll stays as the fallback
 * while the listener reconnects.
 */
@ApplicationScoped
public class OutboxNotifications {

    static final String CHANNEL = "outbox_event";
    private static final Logger LOG = Logger.getLogger(OutboxNotifications.class);
    private static final Duration LONGEST_RETRY = Duration.ofSeconds(30);

    private final DataSource dataSource;
    private final OutboxRelay relay;
    private volatile boolean stopping;
    private Thread listener;

    OutboxNotifications(DataSource dataSource, OutboxRelay relay) {
        this.dataSource = dataSource;
        this.relay = relay;
    }

    void start(@Observes StartupEvent event) {
        listener = Thread.ofPlatform().daemon().name("outbox-notifications").start(this::listen);
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (listener != null) {
            listener.interrupt();
        }
    }

    private void listen() {
        Duration retry = Duration.ofSeconds(1);
        while (!stopping) {
            try (Connection connection = dataSource.getConnection()) {
                try (Statement listen = connection.createStatement()) {
                    listen.execute("listen " + CHANNEL);
                }
                PGConnection postgres = connection.unwrap(PGConnection.class);
                retry = Duration.ofSeconds(1);
                relay.publishSoon(); // whatever committed while nobody listened
                while (!stopping) {
                    // waits up to a second, so that a shutdown is seen even without notifications
                    PGNotification[] notifications = postgres.getNotifications(1000);
                    if (notifications != null && notifications.length > 0) {
                        relay.publishSoon();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (stopping) {
                    return;
                }
                LOG.warnf("Listening for committed outbox events failed; the relay's poll publishes them meanwhile,"
                        + " listening again in %s: %s", retry, e.toString());
                try {
                    Thread.sleep(retry);
                } catch (InterruptedException interrupted) {
                    return;
                }
                retry = retry.multipliedBy(2).compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : retry.multipliedBy(2);
            }
        }
    }
}
