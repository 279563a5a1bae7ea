package io.plumbline.alignment;

import static io.plumbline.alignment.Events.annotation;
import static io.plumbline.alignment.Events.bool;
import static io.plumbline.alignment.Events.evaluation;
import static io.plumbline.alignment.Events.id;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.alignment.v1.AlignmentGrpc.AlignmentBlockingStub;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.testing.PostgresServer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** While the database is away, records wait and are retried; when it is back, every one of them is stored. */
@QuarkusTest
class DatabaseOutageTest {

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();

    @GrpcClient("alignment")
    AlignmentBlockingStub alignment;

    @Test
    void aDatabaseOutageDelaysRecordsAndLosesNone() throws SQLException {
        String database = databaseName();
        String project = "p-" + id().substring(0, 8);
        String metricId = id();
        double retriesBefore = retries();
        try (var events = new Events(); Connection admin = PostgresServer.shared().connectAdmin()) {
            // Renaming the database makes it unreachable for the service's pools: every new connection fails.
            await().atMost(Duration.ofSeconds(30)).until(() -> rename(admin, database, database + "_away"));
            try {
                String evaluationId = id();
                events.send(Topic.EVALUATIONS, metricId, evaluation(project, metricId, evaluationId, BOOLEAN, bool(true)));
                events.send(Topic.ANNOTATIONS, metricId,
                        annotation(project, metricId, id(), evaluationId, bool(true), bool(false), 1));
                await().atMost(Duration.ofSeconds(60)).until(() -> retries() > retriesBefore);
            } finally {
                await().atMost(Duration.ofSeconds(30)).until(() -> rename(admin, database + "_away", database));
            }
        }
        // Reads may fail while the service's pools reconnect to the database that came back.
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> alignment.listDisagreements(ListDisagreementsRequest
                .newBuilder().setProjectId(project).setMetricId(metricId).build()).getDisagreementsCount() == 1);
        assertEquals(1, alignment.listDisagreements(ListDisagreementsRequest.newBuilder().setProjectId(project)
                .setMetricId(metricId).build()).getDisagreementsCount());
    }

    /** Drops the database's connections and renames it; false when a connection came back in between. */
    private static boolean rename(Connection admin, String from, String to) {
        try (var statement = admin.createStatement()) {
            statement.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + from + "'");
            statement.execute("alter database \"" + from + "\" rename to \"" + to + "\"");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static double retries() {
        return given().get("/q/metrics").asString().lines()
                .filter(line -> line.startsWith("plumbline_consumer_retries_total"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static String databaseName() {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        String path = url.substring(url.lastIndexOf('/') + 1);
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }
}
