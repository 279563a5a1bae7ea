package io.plumbline.common.outbox;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes the {@link OutboxRelay} as soon as a transaction that wrote outbox events commits, on whichever replica wrote
 * them: a trigger on {@code outbox_event} raises a PostgreSQL notification on the channel {@code outbox_event}
 * ({@code R__outbox_notify.sql}), delivered at commit, and every replica listens for it on a connection of its own
 * (outside the pool, checked every 30 s while quiet, reopened with backoff when it fails).
 * Events are then published within milliseconds instead of at the relay's next poll; the poll stays as the fallback
 * while the listener reconnects.
 */
@ApplicationScoped
public class OutboxNotifications {

    static final String CHANNEL = "outbox_event";
    private static final Logger LOG = Logger.getLogger(OutboxNotifications.class);
    private static final Duration LONGEST_RETRY = Duration.ofSeconds(30);

    /** A quiet connection is checked this often: a half-open one (a lost node, no reset) would never notify. */
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(30);

    private final String url;
    private final Properties properties = new Properties();
    private final OutboxRelay relay;
    private volatile boolean stopping;
    private Thread listener;

    OutboxNotifications(OutboxRelay relay, @ConfigProperty(name = "quarkus.datasource.jdbc.url") String url,
            @ConfigProperty(name = "quarkus.datasource.username") Optional<String> user,
            @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.relay = relay;
        this.url = url;
        user.ifPresent(u -> properties.setProperty("user", u));
        password.ifPresent(p -> properties.setProperty("password", p));
        // a connection of its own, outside the pool: it listens for as long as the service runs, and a broken one
        // must not go back to the pool
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("socketTimeout", "10");
        properties.setProperty("ApplicationName", "plumbline-outbox-notifications");
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
            try (Connection connection = DriverManager.getConnection(url, properties);
                    Statement statement = connection.createStatement()) {
                statement.execute("listen " + CHANNEL);
                PGConnection postgres = connection.unwrap(PGConnection.class);
                retry = Duration.ofSeconds(1);
                relay.publishSoon(); // whatever committed while nobody listened
                long lastHeard = System.nanoTime();
                while (!stopping) {
                    // waits up to a second, so that a shutdown is seen even without notifications
                    PGNotification[] notifications = postgres.getNotifications(1000);
                    if (notifications != null && notifications.length > 0) {
                        relay.publishSoon();
                        lastHeard = System.nanoTime();
                    } else if (System.nanoTime() - lastHeard > CHECK_INTERVAL.toNanos()) {
                        statement.execute("select 1"); // fails within the socket timeout if the connection is gone
                        lastHeard = System.nanoTime();
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
