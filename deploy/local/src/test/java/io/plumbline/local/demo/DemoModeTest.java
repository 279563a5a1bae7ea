package io.plumbline.local.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.plumbline.local.llm.LlmSelection;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.ListAnnotationsRequest;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.ListEvaluationsRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.process.PackagedService;
import io.plumbline.testing.process.ServiceWiring;

/**
 * The whole demo against the four services as they ship (separate processes from their packaged applications, real
 * Kafka and PostgreSQL) with the stand-in answering from the dataset: every record judged at its level, the labels
 * imported as annotations, and the auto-publish policy starting alignment runs that publish a better version.
 */
class DemoModeTest {

    static final String ADMIN_KEY = "demo-admin-key";

    static LlmStandIn llm;
    static DemoStandIn standIn;
    static PackagedService registry;
    static PackagedService judge;
    static PackagedService annotations;
    static PackagedService alignment;

    @BeforeAll
    static void startThePlatform() {
        DemoDataset dataset = DemoDataset.load();
        llm = LlmStandIn.start();
        standIn = DemoStandIn.install(llm, dataset);
        Map<String, String> providers = ServiceWiring.standInProviders(llm.baseUrl(), LlmSelection.STAND_IN_PROVIDER);
        registry = PackagedService.start("metric-registry", Map.of());
        Map<String, String> judgeConfig = new HashMap<>(providers);
        judgeConfig.put("plumbline.assembly.trace-idle-gap", "2s");
        judgeConfig.putAll(ServiceWiring.judgeClients(registry));
        judge = PackagedService.start("judge-service", judgeConfig);
        annotations = PackagedService.start("annotation-service", Map.of(
                "plumbline.reviewers.\"admin\".api-key", ADMIN_KEY,
                "plumbline.reviewers.\"admin\".admin", "true"));
        Map<String, String> alignmentConfig = new HashMap<>(providers);
        alignmentConfig.putAll(ServiceWiring.alignmentClients(registry, judge));
        alignmentConfig.put("plumbline.alignment.reflection-model.provider", LlmSelection.STAND_IN_PROVIDER);
        alignmentConfig.put("plumbline.alignment.reflection-model.model", LlmSelection.STAND_IN_REFLECTION_MODEL);
        alignmentConfig.put("plumbline.alignment.trigger.interval", "2s");
        alignment = PackagedService.start("alignment-service", alignmentConfig);
    }

    @AfterAll
    static void stopThePlatform() {
        for (PackagedService service : new PackagedService[]{alignment, annotations, judge, registry}) {
            if (service != null) {
                service.close();
            }
        }
        if (llm != null) {
            llm.close();
        }
    }

    @Test
    void theDemoJudgesImportsTheLabelsAndAlignsByPolicy() {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        DemoRun demo = new DemoRun(DemoDataset.load(), new DemoRun.Endpoints("127.0.0.1", registry.port(), judge.port(),
                annotations.port(), alignment.port(), ADMIN_KEY),
                new DemoRun.Models(LlmSelection.STAND_IN_PROVIDER, LlmSelection.STAND_IN_JUDGE_MODEL), standIn,
                new PrintStream(output, true, StandardCharsets.UTF_8), Duration.ofMinutes(5));

        DemoRun.Result result = demo.run();
        String printed = output.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        // 235 LLM spans x 5 span metrics, 74 agent traces x 2 trace metrics, 31 sessions.
        assertEquals(235 * 5 + 74 * 2 + 31, result.evaluations(), printed);
        assertEquals(0, result.labelsRejected(), printed);
        // 591 labels, less 7 that differ from the judge without a critique (the service would refuse them).
        assertEquals(584, result.labelsImported());
        assertTrue(printed.contains("demo [streaming spans]") && printed.contains("Demo done"), printed);

        // Every evaluation says the stand-in judged it, not a model.
        var judgeApi = JudgeGrpc.newBlockingStub(judge.channel());
        for (Evaluation evaluation : judgeApi.listEvaluations(ListEvaluationsRequest.newBuilder()
                .setProjectId(DemoRun.PROJECT).setPageSize(200).build()).getEvaluationsList()) {
            assertEquals(LlmSelection.STAND_IN_JUDGE_MODEL, evaluation.getJudgeModel().getModel());
            assertEquals(LlmSelection.STAND_IN_JUDGE_MODEL, evaluation.getResponseModel());
        }

        // Dana's 178 correctness labels (Miguel's and Priya's second opinions are feedback on the same items).
        Metadata key = new Metadata();
        key.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), ADMIN_KEY);
        var annotationApi = AnnotationsGrpc.newBlockingStub(annotations.channel())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key));
        String correctness = result.metrics().get("answer_correctness").getId();
        long resolved = 0;
        String page = "";
        do {
            var response = annotationApi.listAnnotations(ListAnnotationsRequest.newBuilder().setProjectId(DemoRun.PROJECT)
                    .setMetricId(correctness).setPageSize(500).setPageToken(page).build());
            resolved += response.getAnnotationsCount();
            page = response.getNextPageToken();
        } while (!page.isEmpty());
        assertEquals(178, resolved);

        // The policy started a run for each metric; correctness learnt from its critiques and was published.
        assertEquals(DemoRun.ALIGNED_METRICS.size(), result.runs().size(), printed);
        for (AlignmentRun run : result.runs().values()) {
            assertEquals(AlignmentRun.Trigger.TRIGGER_POLICY, run.getTrigger());
        }
        AlignmentRun run = result.runs().get("answer_correctness");
        assertEquals(AlignmentRun.Status.STATUS_ALIGNED, run.getStatus(), run.toString());
        assertTrue(run.getValidation().getLiftPoints() >= 5, run.getValidation().toString());
        assertTrue(run.getDecision().getPublished(), run.toString());
        var metric = MetricRegistryGrpc.newBlockingStub(registry.channel()).getMetric(GetMetricRequest.newBuilder()
                .setProjectId(DemoRun.PROJECT).setMetricId(correctness).build());
        assertEquals(2, metric.getPublishedVersion());
    }
}
