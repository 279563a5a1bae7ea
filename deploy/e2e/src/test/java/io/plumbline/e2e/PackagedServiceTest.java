package io.plumbline.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.testing.PostgresServer;
import io.plumbline.testing.process.PackagedService;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The test support's packaged service keeps its database while it is stopped and restarted, and drops it when it is
 * closed: a run of the suite leaves no databases behind on the developer's PostgreSQL.
 */
class PackagedServiceTest {

    @Test
    void aRestartKeepsTheDatabaseAndCloseDropsIt() {
        String database;
        try (PackagedService registry = PackagedService.start("metric-registry", Map.of())) {
            database = registry.database().name();
            String metricId = MetricRegistryGrpc.newBlockingStub(registry.channel()).createMetric(CreateMetricRequest
                    .newBuilder().setProjectId("packaged").setName("kept").setDescription("Kept across a restart?")
                    .setLevel(Level.LEVEL_SPAN)
                    .setOutputType(OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()))
                    .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("judge-model"))
                    .setContent(VersionContent.newBuilder().setPromptTemplate("Kept? <data>{{output}}</data> {{output_format}}"))
                    .setAuthor(Author.newBuilder().setUser("owner")).build()).getMetric().getId();
            registry.restart();
            assertEquals("kept", MetricRegistryGrpc.newBlockingStub(registry.channel())
                    .getMetric(GetMetricRequest.newBuilder().setProjectId("packaged").setMetricId(metricId).build()).getName());
            registry.stop();
            assertTrue(PostgresServer.shared().databaseExists(database), "a stopped service keeps its database");
        }
        assertFalse(PostgresServer.shared().databaseExists(database), "closing it dropped " + database);
    }
}
