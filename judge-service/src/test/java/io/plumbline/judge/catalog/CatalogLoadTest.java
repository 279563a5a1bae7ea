package io.plumbline.judge.catalog;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.StreamFixture;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Reply;
import io.plumbline.testing.process.PackagedService;
import io.plumbline.testing.process.ServiceWiring;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.QuarkusTestProfile.TestResourceEntry;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.OutputType;
import io.quarkus.test.junit.TestProfile;
import io.plumbline.proto.judge.v1.SourceConvention;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The catalog comes from the metric-registry (the packaged application, as a process) at start, not only from
 * {@code plumbline.metrics}: here the judge reads a topic nobody writes, so whatever it knows, it knows over gRPC.
 * The registry is down when the judge starts: the judge is not ready, Evaluate answers UNAVAILABLE, and a span that
 * arrives waits in Kafka; once the registry is back, the catalog loads and the span is judged by the metric that only
 * the registry knew.
 */
@QuarkusTest
@TestProfile(CatalogLoadTest.RegistryDownAtStart.class)
class CatalogLoadTest {

    static final String PROJECT = "catalog-" + UUID.randomUUID().toString().substring(0, 6);
    static final String ANSWER_CORRECTNESS = "00000000-0000-4000-8000-000000000001"; // a built-in preset
    static PackagedService registry;
    static String metricId;
    static String traceMetricId;

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    /** Starts the registry, creates the project's metric in it, and stops it again before the judge starts. */
    public static class RegistryWithOneMetric implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            registry = PackagedService.start("metric-registry", Map.of());
            metricId = createMetric("refund_promises", Level.LEVEL_SPAN, "Does it promise a refund?");
            traceMetricId = createMetric("trace_refunds", Level.LEVEL_TRACE, "Does the trace promise a refund?");
            registry.stop();
            Map<String, String> config = new HashMap<>(ServiceWiring.grpcClient("registry", registry));
            config.put("plumbline.catalog.load-from-registry", "true");
            config.put("mp.messaging.incoming.metric-catalog.topic", "plumbline.metrics.unused-by-this-test");
            return config;
        }

        /** A boolean metric of the project judging every record of its level, published as version 1. */
        private static String createMetric(String name, Level level, String question) {
            return MetricRegistryGrpc.newBlockingStub(registry.channel()).createMetric(CreateMetricRequest.newBuilder()
                    .setProjectId(PROJECT).setName(name).setDescription(question).setLevel(level)
                    .setOutputType(OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()))
                    .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("judge-model"))
                    .addBindings(Binding.newBuilder().setName("all").setSamplingRate(1.0))
                    .setContent(VersionContent.newBuilder().setPromptTemplate(
                            question + "\n<data>{{output}}</data>\n{{output_format}}"))
                    .setAuthor(Author.newBuilder().setUser("owner")).build()).getMetric().getId();
        }

        @Override
        public void stop() {
            if (registry != null) {
                registry.close();
            }
        }
    }

    public static class RegistryDownAtStart implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(RegistryWithOneMetric.class));
        }
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @Test
    void spansWaitForTheCatalogAndAreJudgedByMetricsOnlyTheRegistryKnew() {
        try (LlmStandIn llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
                StreamFixture stream = new StreamFixture(judge, PROJECT)) {
            llm.byDefault(Reply.judgment(true, "It promises a refund outright."));

            given().get("/q/health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'metric-catalog' }.status", equalTo("DOWN"));
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> judge.evaluate(probe(metricId)));
            assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.getMessage());

            String traceId = OtlpSpans.newTraceId();
            stream.send(StreamFixture.chat(traceId, null, "Can I get my money back?", "Yes, a full refund, always."));
            Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> stream.evaluations(metricId).isEmpty());

            // What a replica that ran before left behind: a trace whose root ended an hour ago. The closer assembles it
            // before the catalog is loaded, and must leave its record to judge: no metric is known yet.
            String leftOver = leaveAnIdleTrace();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> pool.preparedQuery(
                            "select count(*) from assembled_record where level = 'LEVEL_TRACE' and record_id = $1")
                    .execute(Tuple.of(leftOver)).await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0) == 1);

            registry.restart();
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP")));
            List<Evaluation> judged = Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> stream.evaluations(metricId), list -> !list.isEmpty());
            assertEquals(1, judged.size(), judged.toString());
            assertEquals(1, judged.get(0).getMetricVersion().getVersion());
            assertEquals(traceId, judged.get(0).getRecord().getTraceId());
            assertEquals(true, judged.get(0).getValue().getBoolean());

            List<Evaluation> traceJudged = Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> stream.evaluations(traceMetricId), list -> !list.isEmpty());
            assertEquals(leftOver, traceJudged.get(0).getRecord().getRecordId(),
                    "the trace assembled before the catalog was loaded is judged once it is");

            // The built-ins came with the load too.
            var builtin = judge.evaluate(probe(ANSWER_CORRECTNESS).toBuilder()
                    .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("judge-model")).build());
            assertEquals(1, builtin.getResults(0).getEvaluation().getMetricVersion().getVersion(), builtin.toString());
        }
    }

    @Inject
    Pool pool;

    /** Writes the assembly state of an idle trace of one ended root span, as an earlier run of the judge leaves it. */
    private String leaveAnIdleTrace() {
        String traceId = OtlpSpans.newTraceId();
        String spanId = "00f067aa0ba902b7";
        var span = RecordSnapshot.newBuilder().setInput("Can I return it after a year?").setOutput("Yes, a full refund.")
                .setConvention(SourceConvention.SOURCE_CONVENTION_OTEL_GENAI).setName("chat")
                .setRecord(io.plumbline.proto.common.v1.RecordRef.newBuilder().setProjectId(PROJECT)
                        .setLevel(Level.LEVEL_SPAN).setRecordId(traceId + "/" + spanId).setTraceId(traceId).setSpanId(spanId))
                .build();
        pool.withTransaction(connection -> connection.preparedQuery("""
                                insert into assembly_trace (trace_id, project_id, root_ended, first_span_at, last_span_at)
                                values ($1, $2, true, now() - interval '1 hour', now() - interval '1 hour')""")
                        .execute(Tuple.of(traceId, PROJECT))
                        .chain(() -> connection.preparedQuery("""
                                        insert into assembly_span_batch (trace_id, batch_id, span_ids, start_ns, roots,
                                            snapshots)
                                        values ($1, $2, array[$2], array[1::bigint], array[true], array[$3::bytea])""")
                                .execute(Tuple.of(traceId, spanId, Buffer.buffer(span.toByteArray())))))
                .await().atMost(Duration.ofSeconds(10));
        return traceId;
    }

    private static EvaluateRequest probe(String metric) {
        return EvaluateRequest.newBuilder().setProjectId(PROJECT)
                .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metric))
                .addItems(EvaluateItem.newBuilder().setSnapshot(RecordSnapshot.newBuilder()
                        .setInput("Can I get my money back?").setOutput("Yes, always.")))
                .build();
    }
}
