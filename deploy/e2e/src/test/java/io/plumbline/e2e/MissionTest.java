package io.plumbline.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.plumbline.proto.alignment.v1.AlignmentGrpc;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.ListRunsRequest;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.NextItemRequest;
import io.plumbline.proto.annotation.v1.SubmitFeedbackRequest;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.PercentageType;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.ListEvaluationsRequest;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.UpdateMetricRequest;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmRequest;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.plumbline.testing.process.PackagedService;
import io.plumbline.testing.process.ServiceWiring;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Plumbline's mission in one test, over the four services as they ship (separate processes), a real Kafka broker and
 * PostgreSQL, and the LLM stand-in: spans stream in over OTLP; span, trace and session metrics judge them; experts
 * disagree with the judge; under the auto-publish policy an alignment run starts by itself, the registry publishes
 * its candidate, and new traces are judged by the new version while older evaluations stay with the old one. A
 * judge-service killed mid-stream and restarted judges every record exactly once.
 */
class MissionTest {

    static final String PROJECT = "northwind";
    static final String GUIDELINE = "A refund promised after the 30-day window fails.";
    static final String OVERPROMISE = "Of course, you can return it any time for a full refund";
    static final Predicate<LlmRequest> JUDGE = Match.model("judge-model");
    static final Predicate<LlmRequest> REFLECTION = Match.model("reflector");
    static final Duration LONG = Duration.ofMinutes(3);

    static LlmStandIn llm;
    static PackagedService registry;
    static PackagedService judge;
    static PackagedService annotations;
    static PackagedService alignment;
    static SdkTracerProvider tracing;
    static Tracer tracer;

    @BeforeAll
    static void startThePlatform() {
        Map<String, String> providers = new HashMap<>(new LlmProviderResource().start());
        llm = LlmStandIn.start(Integer.parseInt(providers.remove(LlmProviderResource.PORT)));
        registry = PackagedService.start("metric-registry", Map.of());
        Map<String, String> judgeConfig = new HashMap<>(providers);
        judgeConfig.put("plumbline.assembly.trace-idle-gap", "2s");
        judgeConfig.put("plumbline.assembly.session-idle-gap", "10m");
        // After the kill below, the records the dead process held are taken up again once its lease runs out.
        judgeConfig.put("plumbline.assembly.judge-lease", "20s");
        judgeConfig.putAll(ServiceWiring.judgeClients(registry));
        judge = PackagedService.start("judge-service", judgeConfig);
        annotations = PackagedService.start("annotation-service", Map.of(
                "plumbline.reviewers.\"dana\".api-key", "key-dana",
                "plumbline.reviewers.\"dana\".display-name", "Dana Okafor"));
        Map<String, String> alignmentConfig = new HashMap<>(providers);
        alignmentConfig.putAll(ServiceWiring.alignmentClients(registry, judge));
        alignment = PackagedService.start("alignment-service", alignmentConfig);

        tracing = SdkTracerProvider.builder()
                // plumbline.project names the project whose metrics judge these spans.
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "support-assistant",
                        AttributeKey.stringKey("plumbline.project"), PROJECT)))
                .addSpanProcessor(BatchSpanProcessor.builder(OtlpGrpcSpanExporter.builder()
                        .setEndpoint(judge.baseUrl()).setTimeout(Duration.ofSeconds(30)).build())
                        .setScheduleDelay(Duration.ofMillis(200)).build())
                .build();
        tracer = tracing.get("e2e");
    }

    @AfterAll
    static void stopThePlatform() {
        if (tracing != null) {
            tracing.close();
        }
        for (PackagedService service : new PackagedService[] {alignment, annotations, judge, registry}) {
            if (service != null) {
                service.close();
            }
        }
        if (llm != null) {
            llm.close();
        }
    }

    @Test
    void spansAreJudgedExpertsDisagreeAndTheAlignedVersionJudgesTheNextTraces() {
        var metrics = MetricRegistryGrpc.newBlockingStub(registry.channel());
        String refunds = metrics.createMetric(metric("refund_promises", Level.LEVEL_SPAN, BOOLEAN)).getMetric().getId();
        String goals = metrics.createMetric(metric("trace_goals", Level.LEVEL_TRACE, PERCENTAGE)).getMetric().getId();
        String resolved = metrics.createMetric(metric("session_outcome", Level.LEVEL_SESSION, BOOLEAN)).getMetric().getId();
        llm.when(JUDGE).reply(Reply.judgment(true, "Polite and clear."));
        llm.when(JUDGE.and(Match.contentContains("agent trace"))).reply(Reply.judgment(100, "Every goal met."));
        var judgeApi = JudgeGrpc.newBlockingStub(judge.channel());
        // A metric judges the records that arrive after the judge-service learnt it from plumbline.metrics.
        for (String metric : List.of(refunds, goals, resolved)) {
            awaitKnown(judgeApi, metric);
        }

        // Three support sessions of two turns each; every second answer promises a refund the policy forbids.
        List<String> sessions = List.of(id(), id(), id());
        int turn = 0;
        for (String session : sessions) {
            conversationTurn(session, "Can I return my boots?", answer(turn++), false);
            conversationTurn(session, "And my jacket?", answer(turn++), true);
        }
        awaitCount(judgeApi, refunds, 1, 6);
        awaitCount(judgeApi, goals, 1, 6);
        awaitCount(judgeApi, resolved, 1, 3);

        // The expert reviews every judged answer: the overpromises are wrong, with a critique.
        var review = withKey(AnnotationsGrpc.newBlockingStub(annotations.channel()), "key-dana");
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            var next = await().atMost(LONG).until(() -> review.nextItem(NextItemRequest.newBuilder()
                    .setProjectId(PROJECT).setMetricId(refunds).build()), n -> n.hasItem());
            boolean overpromise = next.getItem().getSnapshot().getOutput().contains(OVERPROMISE);
            var feedback = SubmitFeedbackRequest.newBuilder().setProjectId(PROJECT).setItemId(next.getItem().getId());
            if (overpromise) {
                feedback.setVerdict(Verdict.VERDICT_INCORRECT).setExpectedValue(MetricValue.newBuilder().setBoolean(false))
                        .setCritique("The answer promises a refund at any time, but returns are refunded only within "
                                + "30 days of delivery; after that we offer store credit. It fails the policy.");
            } else {
                feedback.setVerdict(Verdict.VERDICT_CORRECT);
            }
            var item = review.submitFeedback(feedback.build()).getItem();
            if (overpromise) {
                disagreements.add(item.getAnnotationId());
            }
        }
        assertEquals(3, disagreements.size());

        // The reflection model distills the guideline from the disagreements; the judge holding it fails overpromises.
        llm.when(REFLECTION).reply(Reply.json("{\"guidelines\": [{\"text\": \"" + GUIDELINE + "\", \"source_ids\": [\""
                + String.join("\", \"", disagreements) + "\"]}]}"));
        llm.when(REFLECTION.and(Match.contentContains("few-shot examples for the judge")))
                .reply(Reply.json("{\"example_ids\": []}"));
        llm.when(JUDGE.and(Match.contentContains(GUIDELINE)).and(Match.contentContains(OVERPROMISE)))
                .reply(Reply.judgment(false, "Promises a refund outside the 30-day window."));

        // The owner turns on auto-publish: the accumulated disagreements start a run by itself.
        var current = metrics.getMetric(GetMetricRequest.newBuilder().setProjectId(PROJECT).setMetricId(refunds).build());
        metrics.updateMetric(UpdateMetricRequest.newBuilder().setProjectId(PROJECT).setMetricId(refunds)
                .setExpectedRevision(current.getRevision()).setDescription(current.getDescription())
                .setJudgeModel(current.getJudgeModel()).addAllBindings(current.getBindingsList())
                .setAlignmentPolicy(AlignmentPolicy.newBuilder().setMode(AlignmentPolicy.Mode.MODE_AUTO_PUBLISH)
                        .setDisagreementThreshold(3).setMinLiftPoints(5))
                .setActor(Author.newBuilder().setUser("owner")).build());
        var runs = AlignmentGrpc.newBlockingStub(alignment.channel());
        AlignmentRun run = await().atMost(LONG).until(() -> runs.listRuns(ListRunsRequest.newBuilder()
                        .setProjectId(PROJECT).setMetricId(refunds).build()).getRunsList().stream()
                .filter(r -> r.getTrigger() == AlignmentRun.Trigger.TRIGGER_POLICY).findFirst().orElse(null),
                r -> r != null && r.hasDecision());
        assertEquals(AlignmentRun.Status.STATUS_ALIGNED, run.getStatus(), run.toString());
        assertTrue(run.getValidation().getLiftPoints() >= 5, run.getValidation().toString());
        await().atMost(LONG).until(() -> metrics.getMetric(GetMetricRequest.newBuilder().setProjectId(PROJECT)
                .setMetricId(refunds).build()).getPublishedVersion() == 2);

        // New traces are judged by version 2 (which fails the overpromise); version 1's evaluations stay as they were.
        // Meanwhile the judge-service is killed with records in flight and restarted.
        llm.latency(io.plumbline.testing.llm.Latency.fixed(Duration.ofMillis(300)));
        List<String> laterSessions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String session = id();
            laterSessions.add(session);
            conversationTurn(session, "Can I return my tent?", answer(i), true);
        }
        tracing.forceFlush().join(30, java.util.concurrent.TimeUnit.SECONDS);
        await().atMost(LONG).until(() -> count(judgeApi, refunds, 2) >= 2);
        judge.kill();
        judge.restart();
        var restarted = JudgeGrpc.newBlockingStub(judge.channel());
        llm.latency(io.plumbline.testing.llm.Latency.none());

        List<Evaluation> v2 = awaitCount(restarted, refunds, 2, 10);
        assertEquals(5, v2.stream().filter(e -> !e.getValue().getBoolean()).count(), "version 2 fails the overpromises");
        assertEquals(6, count(restarted, refunds, 1), "version 1's evaluations stay tied to version 1");
        awaitCount(restarted, goals, 1, 16);
        awaitCount(restarted, resolved, 1, 13);
        // Exactly once: every record once per metric version, after the crash too.
        for (String metric : List.of(refunds, goals, resolved)) {
            List<Evaluation> all = evaluations(restarted, metric, 0);
            Map<String, Long> perRecord = all.stream().collect(Collectors.groupingBy(
                    e -> e.getRecord().getRecordId() + "@" + e.getMetricVersion().getVersion(), Collectors.counting()));
            assertTrue(perRecord.values().stream().allMatch(n -> n == 1), "judged twice: " + perRecord);
        }
        assertEquals(16, evaluations(restarted, refunds, 0).size());
    }

    // ------------------------------------------------------------------------------------------------------------------

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();
    static final OutputType PERCENTAGE = OutputType.newBuilder().setPercentage(PercentageType.getDefaultInstance()).build();

    private static CreateMetricRequest metric(String name, Level level, OutputType type) {
        String template = level == Level.LEVEL_TRACE
                ? "Judge this agent trace.\n{{conversation}}\n{{guidelines}}\n{{examples}}\n{{output_format}}"
                : "Question:\n{{input}}\nAnswer:\n{{output}}\n{{guidelines}}\n{{examples}}\n{{output_format}}";
        return CreateMetricRequest.newBuilder().setProjectId(PROJECT).setName(name).setDescription(name)
                .setLevel(level).setOutputType(type)
                .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("judge-model"))
                .addBindings(Binding.newBuilder().setName("all").setSamplingRate(1.0))
                .setContent(VersionContent.newBuilder().setPromptTemplate(template))
                .setAuthor(Author.newBuilder().setUser("owner")).build();
    }

    private static String answer(int turn) {
        return turn % 2 == 0 ? OVERPROMISE + " (case " + turn + ")." : "Unworn items can be returned within 30 days (case " + turn + ").";
    }

    /** One turn of a support conversation as an instrumented application traces it (OpenTelemetry GenAI conventions). */
    private static void conversationTurn(String session, String question, String answer, boolean lastTurn) {
        Span root = tracer.spanBuilder("support.turn").setAttribute("gen_ai.conversation.id", session).startSpan();
        if (lastTurn) {
            root.setAttribute("plumbline.session.end", "true");
        }
        try (Scope ignored = root.makeCurrent()) {
            Span chat = tracer.spanBuilder("chat gpt-4o-mini")
                    .setAttribute("gen_ai.operation.name", "chat")
                    .setAttribute("gen_ai.request.model", "gpt-4o-mini")
                    .setAttribute("gen_ai.conversation.id", session)
                    .setAttribute("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\""
                            + question + "\"}]}]")
                    .setAttribute("gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\","
                            + "\"content\":\"" + answer + "\"}],\"finish_reason\":\"stop\"}]")
                    .setAttribute("gen_ai.usage.input_tokens", 42L)
                    .setAttribute("gen_ai.usage.output_tokens", 17L)
                    .startSpan();
            chat.end();
        } finally {
            root.end();
        }
    }

    private static void awaitKnown(JudgeGrpc.JudgeBlockingStub judge, String metricId) {
        var probe = EvaluateRequest.newBuilder().setProjectId(PROJECT)
                .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metricId))
                .addItems(EvaluateItem.newBuilder().setKey("probe").setSnapshot(RecordSnapshot.newBuilder()
                        .setInput("probe").setOutput("probe"))).build();
        await().atMost(LONG).ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s
                        && s.getStatus().getCode() == Status.Code.NOT_FOUND)
                .until(() -> judge.evaluate(probe).getResultsCount() == 1);
    }

    private static List<Evaluation> awaitCount(JudgeGrpc.JudgeBlockingStub judge, String metricId, int version, int n) {
        return await().atMost(LONG).until(() -> evaluations(judge, metricId, version), list -> list.size() >= n);
    }

    private static long count(JudgeGrpc.JudgeBlockingStub judge, String metricId, int version) {
        return evaluations(judge, metricId, version).size();
    }

    private static List<Evaluation> evaluations(JudgeGrpc.JudgeBlockingStub judge, String metricId, int version) {
        List<Evaluation> all = new ArrayList<>();
        String page = "";
        do {
            var response = judge.listEvaluations(ListEvaluationsRequest.newBuilder().setProjectId(PROJECT)
                    .setMetricId(metricId).setMetricVersion(version).setPageSize(500).setPageToken(page).build());
            all.addAll(response.getEvaluationsList());
            page = response.getNextPageToken();
        } while (!page.isEmpty());
        return all;
    }

    private static <S extends io.grpc.stub.AbstractStub<S>> S withKey(S stub, String key) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), key);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }
}
