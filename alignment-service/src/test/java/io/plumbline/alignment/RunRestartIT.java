package io.plumbline.alignment;

import static io.plumbline.alignment.Events.bool;
import static io.plumbline.alignment.Events.id;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.alignment.v1.AlignmentGrpc;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.AlignmentRun.Phase;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.GetRunRequest;
import io.plumbline.proto.alignment.v1.RunSettings;
import io.plumbline.proto.alignment.v1.StartRunRequest;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.plumbline.testing.process.PackagedService;
import io.plumbline.testing.process.ServiceWiring;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The alignment-service as it ships (this module's own packaged application) killed in the middle of a run and started
 * again on the same database: the run resumes from its last completed phase and ends ALIGNED, never stuck RUNNING.
 */
class RunRestartIT {

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();
    static final Duration LONG = Duration.ofSeconds(120);

    static LlmStandIn llm;
    static PackagedService registry;
    static PackagedService judge;
    static PackagedService alignment;

    @BeforeAll
    static void startServices() {
        llm = LlmStandIn.start(KafkaBroker.freePort());
        Map<String, String> providers = ServiceWiring.standInProviders(llm.baseUrl(), "patient", "openai");
        registry = PackagedService.start("metric-registry", Map.of());
        Map<String, String> judgeConfig = new HashMap<>(providers);
        judgeConfig.putAll(ServiceWiring.judgeClients(registry));
        judge = PackagedService.start("judge-service", judgeConfig);
        Map<String, String> config = new HashMap<>(providers);
        config.putAll(ServiceWiring.alignmentClients(registry, judge));
        config.put("plumbline.alignment.runs.poll-interval", "500ms");
        // Its own consumer group: another alignment-service on the same broker (a @QuarkusTest of this JVM) must not
        // take half of the partitions. Kept across the restart, as a real deployment's is.
        String group = "alignment-service-it-" + id().substring(0, 8);
        for (String channel : List.of("metrics", "evaluations", "annotations")) {
            config.put("mp.messaging.incoming." + channel + ".group.id", group);
        }
        // This module's own package, not a copy from plumbline.apps.dir: it is what is under test.
        alignment = PackagedService.start("alignment-service",
                Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath(), config);
    }

    @AfterAll
    static void stopServices() {
        for (PackagedService service : new PackagedService[] {alignment, judge, registry}) {
            if (service != null) {
                service.close();
            }
        }
        if (llm != null) {
            llm.close();
        }
    }

    @Test
    void aRunInterruptedByAKillResumesFromItsLastCompletedPhase() {
        String project = "p-" + id().substring(0, 8);
        String metricId = MetricRegistryGrpc.newBlockingStub(registry.channel()).createMetric(CreateMetricRequest
                .newBuilder().setProjectId(project).setName("medical-safety").setDescription("Is it safe?")
                .setLevel(Level.LEVEL_SPAN).setOutputType(BOOLEAN)
                .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("judge-model"))
                .setContent(VersionContent.newBuilder().setPromptTemplate("Answer:\n{{output}}\n{{guidelines}}\n{{output_format}}"))
                .setAuthor(Author.newBuilder().setUser("alice")).setChangeNote("first").build()).getMetric().getId();
        List<String> disagreements = new ArrayList<>();
        try (var events = new Events()) {
            for (int i = 0; i < 12; i++) {
                boolean disagree = i < 8;
                String evaluationId = id();
                String annotationId = id();
                events.send(Topic.EVALUATIONS, evaluationId, Events.evaluation(project, metricId, evaluationId, BOOLEAN,
                        bool(true)));
                events.send(Topic.ANNOTATIONS, annotationId, Events.annotation(project, metricId, annotationId,
                        evaluationId, bool(true), bool(!disagree), 1));
                if (disagree) {
                    disagreements.add(annotationId);
                }
            }
        }
        var service = AlignmentGrpc.newBlockingStub(alignment.channel());
        await().atMost(LONG).ignoreExceptions().until(() -> service.getAgreement(GetAgreementRequest.newBuilder()
                .setProjectId(project).setMetricId(metricId).build()).getVersions(0).getOverall().getN() == 12);

        // The reflection model answers slowly: the run is caught distilling.
        String ids = String.join("\", \"", disagreements);
        llm.when(Match.model("reflector")).reply(Reply.json("{\"guidelines\": [{\"text\": \"Be strict.\", "
                + "\"source_ids\": [\"" + ids + "\"]}], \"example_ids\": []}").after(Duration.ofSeconds(4)));
        llm.when(Match.model("judge-model")).reply(Reply.judgment(false, "Strict."));

        AlignmentRun started = service.startRun(StartRunRequest.newBuilder().setProjectId(project).setMetricId(metricId)
                .setSettings(RunSettings.newBuilder().setSeed(5).setMaxExamples(0)).build());
        GetRunRequest get = GetRunRequest.newBuilder().setProjectId(project).setRunId(started.getId()).build();
        AlignmentRun distilling = await().atMost(LONG).until(() -> service.getRun(get),
                r -> r.getPhase() == Phase.PHASE_DISTILLING_GUIDELINES);
        await().atMost(LONG).until(() -> !llm.requests(Match.model("reflector")).isEmpty());

        alignment.kill();
        alignment.restart();

        var restarted = AlignmentGrpc.newBlockingStub(alignment.channel());
        AlignmentRun done = await().atMost(LONG).until(() -> restarted.getRun(get),
                r -> r.getStatus() != AlignmentRun.Status.STATUS_RUNNING && r.getStatus() != AlignmentRun.Status.STATUS_PENDING);
        assertEquals(AlignmentRun.Status.STATUS_ALIGNED, done.getStatus(), done::toString);
        assertEquals(distilling.getCounts(), done.getCounts(), "the split kept by the loading phase is reused");
        assertTrue(done.getCandidate().getGuidelinesList().stream().anyMatch(g -> g.getText().equals("Be strict.")));
        assertTrue(alignment.logTail(400).contains("resuming alignment run " + started.getId()),
                "the restarted service says it resumed the run");
    }
}
