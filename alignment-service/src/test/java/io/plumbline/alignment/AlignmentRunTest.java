package io.plumbline.alignment;

import static io.plumbline.alignment.Events.bool;
import static io.plumbline.alignment.Events.id;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.alignment.v1.AcceptRunRequest;
import io.plumbline.proto.alignment.v1.AlignmentEvent;
import io.plumbline.proto.alignment.v1.AlignmentGrpc.AlignmentBlockingStub;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.AlignmentRun.Phase;
import io.plumbline.proto.alignment.v1.CancelRunRequest;
import io.plumbline.proto.alignment.v1.DiscardRunRequest;
import io.plumbline.proto.alignment.v1.GetRunRequest;
import io.plumbline.proto.alignment.v1.ListRunsRequest;
import io.plumbline.proto.alignment.v1.RunDecision;
import io.plumbline.proto.alignment.v1.RunError;
import io.plumbline.proto.alignment.v1.RunSettings;
import io.plumbline.proto.alignment.v1.StartRunRequest;
import io.plumbline.proto.alignment.v1.WatchRunRequest;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.testing.KafkaTestConsumer;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Alignment runs end to end: the packaged metric-registry and judge-service in processes of their own, the LLM stand-in
 * answering both the reflection model and the judge, evaluations and resolved annotations arriving through Kafka.
 */
@QuarkusTest
class AlignmentRunTest {

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();
    static final String BUILTIN_CORRECTNESS = "00000000-0000-4000-8000-000000000001";
    static final String GUIDELINE = "A specific dosage without a referral to a doctor fails.";
    static final String DOSAGE = "Take 800 mg of ibuprofen";
    static final Duration LONG = Duration.ofSeconds(90);
    static final Predicate<io.plumbline.testing.llm.LlmRequest> REFLECTION = Match.model("reflector");
    static final Predicate<io.plumbline.testing.llm.LlmRequest> JUDGE = Match.model("judge-model");

    @GrpcClient("alignment")
    AlignmentBlockingStub alignment;

    LlmStandIn llm;
    ManagedChannel registryChannel;
    MetricRegistryGrpc.MetricRegistryBlockingStub registry;

    @BeforeEach
    void start() {
        llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
        registryChannel = ManagedChannelBuilder.forAddress("127.0.0.1",
                ConfigProvider.getConfig().getValue(ServicesResource.REGISTRY_PORT, Integer.class)).usePlaintext().build();
        registry = MetricRegistryGrpc.newBlockingStub(registryChannel);
    }

    @AfterEach
    void stop() {
        // A call still in flight (a cancelled run's, whose answer is discarded) would be retried by the gateway against
        // the next test's stand-in if its connection were cut now.
        await().atMost(LONG).until(() -> llm.inFlight() == 0);
        llm.close();
        registryChannel.shutdownNow();
    }

    /** A project with a custom boolean metric and labelled judgments of it. */
    record Fixture(String project, String metricId, List<String> disagreements, List<String> agreements) {
    }

    @Test
    void aRunDistillsValidatesAndIsAcceptedAsANewVersion() {
        Fixture f = fixture(8, 6);
        scriptReflection(f);
        scriptCandidateJudge();
        try (var events = KafkaTestConsumer.fromNow(Topic.ALIGNMENT.topicName())) {
            AlignmentRun started = alignment.startRun(StartRunRequest.newBuilder().setProjectId(f.project())
                    .setMetricId(f.metricId()).setStartedBy("alice").setRequestId("r-" + f.project())
                    .setSettings(RunSettings.newBuilder().setSeed(7).setHoldoutFraction(0.5)).build());
            assertEquals(AlignmentRun.Status.STATUS_PENDING, started.getStatus());
            assertEquals("alice", started.getStartedBy());
            assertEquals(started.getId(), alignment.startRun(StartRunRequest.newBuilder().setProjectId(f.project())
                    .setMetricId(f.metricId()).setRequestId("r-" + f.project()).build()).getId(), "idempotent");

            List<AlignmentRun> snapshots = new ArrayList<>();
            alignment.withDeadlineAfter(120, java.util.concurrent.TimeUnit.SECONDS).watchRun(WatchRunRequest.newBuilder()
                    .setProjectId(f.project()).setRunId(started.getId()).build()).forEachRemaining(snapshots::add);
            AlignmentRun run = snapshots.getLast();
            assertEquals(AlignmentRun.Status.STATUS_ALIGNED, run.getStatus(), run::toString);
            Set<Phase> phases = new HashSet<>();
            snapshots.forEach(s -> phases.add(s.getPhase()));
            assertTrue(phases.contains(Phase.PHASE_DISTILLING_GUIDELINES) && phases.contains(Phase.PHASE_VALIDATING),
                    "watched phases: " + phases);

            assertEquals(14, run.getCounts().getAnnotationsLoaded());
            assertEquals(8, run.getCounts().getDisagreementsFound());
            assertEquals(6, run.getCounts().getAgreeingRowsSkipped());
            assertEquals(14, run.getCounts().getTrainSize() + run.getCounts().getHoldoutSize());
            assertEquals(4, run.getCounts().getHoldoutDisagreements(), "stratified: half of each expert value");

            VersionContent candidate = run.getCandidate();
            var guideline = candidate.getGuidelinesList().stream().filter(g -> g.getText().equals(GUIDELINE))
                    .findFirst().orElseThrow(() -> new AssertionError(candidate.toString()));
            assertFalse(guideline.getSourceAnnotationIdsList().isEmpty());
            assertTrue(f.disagreements().containsAll(guideline.getSourceAnnotationIdsList()));
            assertEquals("Flag harmful advice.", candidate.getGuidelines(0).getText(), "the base guidelines stay");
            assertFalse(candidate.getExamplesList().isEmpty());
            candidate.getExamplesList().forEach(e -> {
                assertTrue(f.disagreements().contains(e.getSourceAnnotationId()));
                assertTrue(e.getCritique().contains("without telling the user to see a doctor"), e.getCritique());
            });

            var report = run.getValidation();
            assertEquals(1, report.getBaseVersion());
            assertEquals(7, report.getHoldoutSize());
            assertEquals(7, report.getReusedBaseEvaluations(), "the base version's stored evaluations are reused");
            assertEquals(3.0 / 7, report.getBase().getAccuracy().getValue(), 1e-9);
            assertEquals(1.0, report.getCandidate().getAccuracy().getValue(), 1e-9);
            assertEquals(100.0 * 4 / 7, report.getLiftPoints(), 1e-6);
            assertTrue(report.getLiftCi().getLower() < report.getLiftPoints()
                    && report.getLiftPoints() < report.getLiftCi().getUpper());
            assertEquals(0, report.getRegressed());
            assertEquals(4, report.getImproved());
            assertFalse(report.getLowConfidence());
            assertEquals(7, llm.requests(JUDGE).size(), "one judge call per holdout row, none for the base version");
            assertTrue(run.getUsageList().stream().anyMatch(u -> u.getPhase() == Phase.PHASE_DISTILLING_GUIDELINES
                    && u.getLlmCalls() == llm.requests(REFLECTION).size()));

            var learnedFrom = alignment.listDisagreements(io.plumbline.proto.alignment.v1.ListDisagreementsRequest
                    .newBuilder().setProjectId(f.project()).setMetricId(f.metricId()).setRunId(run.getId()).build());
            assertEquals(run.getCounts().getTrainDisagreements(), learnedFrom.getDisagreementsCount());
            learnedFrom.getDisagreementsList().forEach(d -> assertEquals(List.of(run.getId()), d.getRunIdsList()));
            var unused = alignment.listDisagreements(io.plumbline.proto.alignment.v1.ListDisagreementsRequest
                    .newBuilder().setProjectId(f.project()).setMetricId(f.metricId()).setUnusedOnly(true).build());
            assertEquals(run.getCounts().getHoldoutDisagreements(), unused.getDisagreementsCount(),
                    "the holdout's disagreements were not learned from");

            AlignmentRun accepted = alignment.acceptRun(AcceptRunRequest.newBuilder().setProjectId(f.project())
                    .setRunId(run.getId()).setAcceptedBy("bob").setPublish(true).build());
            RunDecision decision = accepted.getDecision();
            assertEquals(RunDecision.Kind.KIND_ACCEPTED, decision.getKind());
            assertEquals(2, decision.getCreatedVersion().getVersion());
            assertFalse(decision.getForked());
            MetricVersion v2 = registry.getVersion(GetVersionRequest.newBuilder().setProjectId(f.project())
                    .setMetricId(f.metricId()).setVersion(2).build());
            assertEquals(candidate.getGuidelinesList(), v2.getGuidelinesList());
            assertEquals(1, v2.getParentVersion());
            assertEquals(run.getId(), v2.getAuthor().getAlignmentRunId());
            assertTrue(v2.getChangeNote().contains(run.getId()), v2.getChangeNote());
            assertEquals(2, registry.getMetric(GetMetricRequest.newBuilder().setProjectId(f.project())
                    .setMetricId(f.metricId()).build()).getPublishedVersion());
            assertEquals(decision, alignment.acceptRun(AcceptRunRequest.newBuilder().setProjectId(f.project())
                    .setRunId(run.getId()).setAcceptedBy("carol").build()).getDecision(), "accepting twice: unchanged");
            refused(Status.Code.FAILED_PRECONDITION, () -> alignment.discardRun(DiscardRunRequest.newBuilder()
                    .setProjectId(f.project()).setRunId(run.getId()).build()));

            List<AlignmentEvent.Type> types = events.await(records -> records.stream().map(this::event)
                            .anyMatch(e -> e.getType() == AlignmentEvent.Type.TYPE_ACCEPTED), LONG)
                    .stream().map(this::event).filter(e -> e.getRunId().equals(run.getId()))
                    .map(AlignmentEvent::getType).toList();
            assertEquals(AlignmentEvent.Type.TYPE_STARTED, types.getFirst());
            assertTrue(types.contains(AlignmentEvent.Type.TYPE_PHASE_CHANGED));
            assertTrue(types.indexOf(AlignmentEvent.Type.TYPE_ALIGNED) < types.indexOf(AlignmentEvent.Type.TYPE_ACCEPTED));
        }
        var history = alignment.listRuns(ListRunsRequest.newBuilder().setProjectId(f.project())
                .setMetricId(f.metricId()).build());
        assertEquals(1, history.getRunsCount());
    }

    @Test
    void underAutoPublishDisagreementsStartARunThatPublishesAndTheJudgeUsesTheNewVersion() {
        String project = "p-" + id().substring(0, 8);
        String metricId = createMetric(project, io.plumbline.proto.registry.v1.AlignmentPolicy.newBuilder()
                .setMode(io.plumbline.proto.registry.v1.AlignmentPolicy.Mode.MODE_AUTO_PUBLISH)
                .setDisagreementThreshold(6).setMinLiftPoints(5).build());
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            disagreements.add(id());
        }
        scriptReflection(new Fixture(project, metricId, disagreements, List.of()));
        scriptCandidateJudge();
        labelled(project, metricId, disagreements, 6);

        AlignmentRun run = await().atMost(LONG).until(() -> alignment.listRuns(ListRunsRequest.newBuilder()
                        .setProjectId(project).setMetricId(metricId).build()).getRunsList().stream()
                        .filter(r -> r.hasDecision() || !r.getAutoPublishNote().isEmpty()
                                || r.getStatus() == AlignmentRun.Status.STATUS_ERROR).findFirst(),
                java.util.Optional::isPresent).orElseThrow();
        assertEquals(AlignmentRun.Trigger.TRIGGER_POLICY, run.getTrigger());
        assertEquals("policy", run.getStartedBy());
        assertEquals(RunDecision.Kind.KIND_AUTO_PUBLISHED, run.getDecision().getKind(), run::toString);
        assertTrue(run.getDecision().getPublished());
        assertTrue(run.getValidation().getLiftPoints() >= 5);
        assertEquals(2, registry.getMetric(GetMetricRequest.newBuilder().setProjectId(project).setMetricId(metricId)
                .build()).getPublishedVersion());
        var trigger = alignment.getTriggerStatus(io.plumbline.proto.alignment.v1.GetTriggerStatusRequest.newBuilder()
                .setProjectId(project).setMetricId(metricId).build());
        assertEquals(run.getId(), trigger.getLastRunId());
        assertTrue(trigger.hasCooldownUntil(), "a cooldown follows every run: " + trigger);
        assertTrue(trigger.getActiveRunId().isEmpty());

        var judge = io.plumbline.proto.judge.v1.JudgeGrpc.newBlockingStub(ManagedChannelBuilder.forAddress("127.0.0.1",
                ConfigProvider.getConfig().getValue(ServicesResource.JUDGE_PORT, Integer.class)).usePlaintext().build());
        var evaluate = io.plumbline.proto.judge.v1.EvaluateRequest.newBuilder().setProjectId(project)
                .setMetricVersion(io.plumbline.proto.common.v1.MetricVersionRef.newBuilder().setMetricId(metricId))
                .addItems(io.plumbline.proto.judge.v1.EvaluateItem.newBuilder().setSnapshot(
                        io.plumbline.proto.judge.v1.RecordSnapshot.newBuilder().setInput("My back hurts.")
                                .setOutput(DOSAGE + " twice a day.")))
                .build();
        var evaluation = await().atMost(LONG).ignoreExceptions()
                .until(() -> judge.evaluate(evaluate).getResults(0).getEvaluation(),
                        e -> e.getMetricVersion().getVersion() == 2);
        assertEquals(false, evaluation.getValue().getBoolean(), "judged with the published guideline");
    }

    @Test
    void acceptingARunOfABuiltInForksIt() {
        String project = "p-" + id().substring(0, 8);
        List<String> disagreements = labelled(project, BUILTIN_CORRECTNESS, 6, 4);
        scriptReflection(new Fixture(project, BUILTIN_CORRECTNESS, disagreements, List.of()));
        llm.when(Match.model("gpt-4o-mini")).reply(Reply.judgment(true, "Fine."));
        llm.when(Match.model("gpt-4o-mini").and(Match.contentContains(GUIDELINE))
                        .and(Match.contentContains("<data name=\"output\">\n" + DOSAGE)))
                .reply(Reply.judgment(false, "A dosage without a doctor."));
        AlignmentRun run = runToEnd(project, BUILTIN_CORRECTNESS, RunSettings.newBuilder().setSeed(3).build());
        assertEquals(AlignmentRun.Status.STATUS_ALIGNED, run.getStatus(), run::toString);
        assertTrue(run.getBuiltinMetric());

        AlignmentRun accepted = alignment.acceptRun(AcceptRunRequest.newBuilder().setProjectId(project)
                .setRunId(run.getId()).setAcceptedBy("bob").build());
        assertTrue(run.getValidation().getLiftPoints() > 0, run::toString);
        assertTrue(accepted.getDecision().getForked());
        assertEquals(1, accepted.getDecision().getCreatedVersion().getVersion());
        var fork = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(project)
                .setMetricId(accepted.getDecision().getCreatedVersion().getMetricId()).build());
        assertEquals("answer_correctness-aligned", fork.getName());
        assertEquals(BUILTIN_CORRECTNESS, fork.getForkedFrom().getMetricId());
        MetricVersion v1 = registry.getVersion(GetVersionRequest.newBuilder().setProjectId(project)
                .setMetricId(fork.getId()).setVersion(1).build());
        assertTrue(v1.getGuidelinesList().stream().anyMatch(g -> g.getText().equals(GUIDELINE)));
    }

    @Test
    void cancellingWhileDistillingStopsTheReflectionCalls() {
        Fixture f = fixture(30, 4);
        llm.when(REFLECTION).reply(Reply.json("{\"guidelines\": [], \"example_ids\": []}").after(Duration.ofSeconds(3)));
        AlignmentRun run = alignment.startRun(StartRunRequest.newBuilder().setProjectId(f.project())
                .setMetricId(f.metricId()).setSettings(RunSettings.newBuilder().setReflectionBatchSize(5)).build());
        await().atMost(LONG).until(() -> llm.requests(REFLECTION).size() >= 1
                && get(f.project(), run.getId()).getPhase() == Phase.PHASE_DISTILLING_GUIDELINES);
        refused(Status.Code.FAILED_PRECONDITION, () -> alignment.startRun(StartRunRequest.newBuilder()
                .setProjectId(f.project()).setMetricId(f.metricId()).build()));

        AlignmentRun cancelled = alignment.cancelRun(CancelRunRequest.newBuilder().setProjectId(f.project())
                .setRunId(run.getId()).setCancelledBy("alice").build());
        assertEquals(AlignmentRun.Status.STATUS_CANCELLED, cancelled.getStatus());
        assertEquals(Phase.PHASE_DISTILLING_GUIDELINES, cancelled.getPhase());
        int calls = llm.requests(REFLECTION).size();
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(15))
                .until(() -> llm.requests(REFLECTION).size() == calls);
        assertEquals(AlignmentRun.Status.STATUS_CANCELLED, get(f.project(), run.getId()).getStatus(),
                "the worker does not overwrite a cancel");
        assertEquals(cancelled, alignment.cancelRun(CancelRunRequest.newBuilder().setProjectId(f.project())
                .setRunId(run.getId()).build()), "cancelling again: unchanged");
    }

    @Test
    void cancellingRightAfterTheStartEndsTheRunBeforeItCallsAModel() {
        Fixture f = fixture(30, 4);
        scriptReflection(f);
        scriptCandidateJudge();
        AlignmentRun run = alignment.startRun(StartRunRequest.newBuilder().setProjectId(f.project())
                .setMetricId(f.metricId()).build());
        AlignmentRun cancelled = alignment.cancelRun(CancelRunRequest.newBuilder().setProjectId(f.project())
                .setRunId(run.getId()).build());
        assertEquals(AlignmentRun.Status.STATUS_CANCELLED, cancelled.getStatus());
        // Pending, loading or building traces (which one depends on the machine's speed; a very fast one may already
        // be distilling, which the test above covers): every later phase change of the worker is refused, so the
        // reflection model is never called.
        if (cancelled.getPhase().getNumber() < Phase.PHASE_DISTILLING_GUIDELINES.getNumber()) {
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> llm.requests().isEmpty());
        }
        AlignmentRun after = get(f.project(), run.getId());
        assertEquals(AlignmentRun.Status.STATUS_CANCELLED, after.getStatus());
        assertEquals(cancelled.getPhase(), after.getPhase());
    }

    @Test
    void cancellingWhileValidatingStopsTheJudge() {
        Fixture f = fixture(6, 40);
        scriptReflection(f);
        llm.when(JUDGE).reply(Reply.judgment(true, "slow").after(Duration.ofSeconds(2)));
        AlignmentRun run = alignment.startRun(StartRunRequest.newBuilder().setProjectId(f.project())
                .setMetricId(f.metricId()).build());
        await().atMost(LONG).until(() -> llm.requests(JUDGE).size() >= 1);
        assertEquals(Phase.PHASE_VALIDATING, get(f.project(), run.getId()).getPhase());
        AlignmentRun cancelled = alignment.cancelRun(CancelRunRequest.newBuilder().setProjectId(f.project())
                .setRunId(run.getId()).build());
        assertEquals(AlignmentRun.Status.STATUS_CANCELLED, cancelled.getStatus());
        assertEquals(Phase.PHASE_VALIDATING, cancelled.getPhase());
        await().atMost(LONG).until(() -> llm.inFlight() == 0);
        int calls = llm.requests(JUDGE).size();
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(15)).until(() -> llm.requests(JUDGE).size() == calls);
        assertTrue(calls <= 8, "the holdout has 14 rows, sent 4 at a time; judging stopped after " + calls);
    }

    @Test
    void theRestTwinsStartReadWatchCancelAndList() {
        Fixture f = fixture(6, 2);
        llm.when(REFLECTION).reply(Reply.json("{\"guidelines\": []}").after(Duration.ofSeconds(5)));
        String base = "/api/v1/projects/" + f.project() + "/alignment-runs";
        String runId = io.restassured.RestAssured.given().contentType("application/json")
                .body("{\"metricId\": \"" + f.metricId() + "\", \"startedBy\": \"rest\", \"settings\": {\"seed\": \"3\"}}")
                .post(base).then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("STATUS_PENDING"))
                .body("startedBy", org.hamcrest.Matchers.equalTo("rest"))
                .extract().path("id");
        io.restassured.RestAssured.given().get(base + "/" + runId).then().statusCode(200)
                .body("settings.seed", org.hamcrest.Matchers.equalTo("3"));
        io.restassured.RestAssured.given().contentType("application/json").body("{\"cancelledBy\": \"rest\"}")
                .post(base + "/" + runId + "/cancel").then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("STATUS_CANCELLED"))
                .body("cancelledBy", org.hamcrest.Matchers.equalTo("rest"));
        String events = io.restassured.RestAssured.given().get(base + "/" + runId + "/watch").then().statusCode(200)
                .extract().asString();
        assertTrue(events.contains("STATUS_CANCELLED"), events);
        io.restassured.RestAssured.given().get(base + "?metricId=" + f.metricId()).then().statusCode(200)
                .body("runs[0].id", org.hamcrest.Matchers.equalTo(runId));
        io.restassured.RestAssured.given().contentType("application/json")
                .body("{\"metricId\": \"" + f.metricId() + "\", \"settings\": {\"holdoutFraction\": 2}}")
                .post(base).then().statusCode(400);
        io.restassured.RestAssured.given().get(base + "/" + id()).then().statusCode(404);
    }

    @Test
    void withoutDisagreementsThereIsNothingToLearn() {
        Fixture f = fixture(0, 5);
        AlignmentRun run = runToEnd(f.project(), f.metricId(), RunSettings.getDefaultInstance());
        assertEquals(AlignmentRun.Status.STATUS_ALIGNED, run.getStatus(), run::toString);
        assertTrue(run.getNothingToLearn());
        assertFalse(run.hasCandidate());
        assertEquals(0, llm.requests().size());
        refused(Status.Code.FAILED_PRECONDITION, () -> alignment.acceptRun(AcceptRunRequest.newBuilder()
                .setProjectId(f.project()).setRunId(run.getId()).build()));
    }

    @Test
    void fewDisagreementsMakeALowConfidenceReport() {
        Fixture f = fixture(4, 6);
        scriptReflection(f);
        scriptCandidateJudge();
        AlignmentRun run = runToEnd(f.project(), f.metricId(), RunSettings.newBuilder().setSeed(11).build());
        assertEquals(AlignmentRun.Status.STATUS_ALIGNED, run.getStatus(), run::toString);
        assertTrue(run.getValidation().getLowConfidence());
    }

    @Test
    void anUnparseableReflectionAnswerEndsInErrorWithTheAnswerKept() {
        Fixture f = fixture(6, 2);
        llm.when(REFLECTION).reply(Reply.text("I think the judge should be stricter."));
        AlignmentRun run = runToEnd(f.project(), f.metricId(), RunSettings.getDefaultInstance());
        assertEquals(AlignmentRun.Status.STATUS_ERROR, run.getStatus(), run::toString);
        assertEquals(RunError.Cause.CAUSE_REFLECTION_UNPARSEABLE, run.getError().getCause());
        assertEquals(Phase.PHASE_DISTILLING_GUIDELINES, run.getError().getPhase());
        assertEquals("I think the judge should be stricter.", run.getError().getRawAnswer());
        assertEquals(2, llm.requests(REFLECTION).size(), "one retry");
    }

    @Test
    void badRequestsAreRefused() {
        Fixture f = fixture(0, 0);
        var noAnnotations = refused(Status.Code.FAILED_PRECONDITION, () -> alignment.startRun(StartRunRequest.newBuilder()
                .setProjectId(f.project()).setMetricId(f.metricId()).build()));
        assertTrue(noAnnotations.getStatus().getDescription().contains("found 0 resolved annotations"),
                noAnnotations.getStatus().getDescription());
        refused(Status.Code.INVALID_ARGUMENT, () -> alignment.startRun(StartRunRequest.newBuilder()
                .setProjectId(f.project()).setMetricId(f.metricId())
                .setSettings(RunSettings.newBuilder().setHoldoutFraction(1.5).setMaxRounds(9)).build()));
        refused(Status.Code.NOT_FOUND, () -> alignment.startRun(StartRunRequest.newBuilder()
                .setProjectId(f.project()).setMetricId(id()).build()));
        refused(Status.Code.NOT_FOUND, () -> alignment.getRun(GetRunRequest.newBuilder()
                .setProjectId(f.project()).setRunId(id()).build()));
    }

    // ------------------------------------------------------------------------------------------------------------------

    private AlignmentRun runToEnd(String project, String metricId, RunSettings settings) {
        AlignmentRun started = alignment.startRun(StartRunRequest.newBuilder().setProjectId(project).setMetricId(metricId)
                .setSettings(settings).build());
        return await().atMost(LONG).until(() -> get(project, started.getId()),
                r -> r.getStatus() != AlignmentRun.Status.STATUS_PENDING && r.getStatus() != AlignmentRun.Status.STATUS_RUNNING);
    }

    private AlignmentRun get(String project, String runId) {
        return alignment.getRun(GetRunRequest.newBuilder().setProjectId(project).setRunId(runId).build());
    }

    /** The reflection model proposes GUIDELINE from every disagreement and picks them all as examples. */
    private void scriptReflection(Fixture f) {
        String ids = String.join("\", \"", f.disagreements());
        // Later rules take precedence.
        llm.when(REFLECTION).reply(Reply.json("{\"guidelines\": [{\"text\": \"" + GUIDELINE + "\", \"source_ids\": [\""
                + ids + "\"]}]}"));
        llm.when(REFLECTION.and(Match.contentContains("few-shot examples for the judge")))
                .reply(Reply.json("{\"example_ids\": [\"" + ids + "\"]}"));
    }

    /** The judge with the candidate's guideline fails dosages; otherwise it passes everything, as the base did. */
    private void scriptCandidateJudge() {
        llm.when(JUDGE).reply(Reply.judgment(true, "Helpful answer."));
        // The record judged, not a few-shot example that quotes one: our template puts it right after "Answer:".
        llm.when(JUDGE.and(Match.contentContains(GUIDELINE)).and(Match.contentContains("Answer:\n" + DOSAGE)))
                .reply(Reply.judgment(false, "A dosage without a referral to a doctor."));
    }

    private Fixture fixture(int disagreements, int agreements) {
        String project = "p-" + id().substring(0, 8);
        String metricId = createMetric(project, io.plumbline.proto.registry.v1.AlignmentPolicy.getDefaultInstance());
        List<String> ids = labelled(project, metricId, disagreements, agreements);
        return new Fixture(project, metricId, ids, List.of());
    }

    private String createMetric(String project, io.plumbline.proto.registry.v1.AlignmentPolicy policy) {
        var created = registry.createMetric(CreateMetricRequest.newBuilder()
                .setProjectId(project).setName("medical-safety")
                .setDescription("Does the answer stay within medical safety rules?")
                .setLevel(Level.LEVEL_SPAN).setOutputType(BOOLEAN)
                .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("judge-model"))
                .setContent(VersionContent.newBuilder()
                        .setPromptTemplate("Question:\n{{input}}\nAnswer:\n{{output}}\n{{guidelines}}\n{{examples}}\n{{output_format}}")
                        .addGuidelines(io.plumbline.proto.registry.v1.Guideline.newBuilder().setText("Flag harmful advice.")))
                .setAlignmentPolicy(policy)
                .setAuthor(Author.newBuilder().setUser("alice")).setChangeNote("first").build());
        return created.getMetric().getId();
    }

    /**
     * Sends {@code disagreements} judgments the judge passed and the experts failed (a dosage without a doctor) and
     * {@code agreements} both passed; waits until the alignment-service holds them all. Returns the disagreements'
     * annotation ids.
     */
    private List<String> labelled(String project, String metricId, int disagreements, int agreements) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < disagreements; i++) {
            ids.add(id());
        }
        return labelled(project, metricId, ids, agreements);
    }

    /** The same with the disagreements' annotation ids given; the agreements are sent first. */
    private List<String> labelled(String project, String metricId, List<String> givenIds, int agreements) {
        int disagreements = givenIds.size();
        List<String> disagreementIds = new ArrayList<>();
        try (var events = new Events()) {
            for (int i = 0; i < disagreements + agreements; i++) {
                boolean disagree = i >= agreements;
                String evaluationId = id();
                String annotationId = disagree ? givenIds.get(i - agreements) : id();
                EvaluationEvent evaluation = Events.evaluation(project, metricId, evaluationId, BOOLEAN, bool(true));
                evaluation = evaluation.toBuilder().setSnapshot(evaluation.getSnapshot().toBuilder()
                        .setInput("My head hurts (" + i + "). What should I do?")
                        .setOutput(disagree ? DOSAGE + " every 4 hours." : "Rest, drink water and see a doctor if it persists."))
                        .build();
                AnnotationEvent annotation = Events.annotation(project, metricId, annotationId, evaluationId, bool(true),
                        bool(!disagree), 1);
                annotation = annotation.toBuilder().setAnnotation(annotation.getAnnotation().toBuilder().clearCritiques()
                        .addCritiques(Critique.newBuilder().setReviewerId("dana")
                                .setVerdict(disagree ? Verdict.VERDICT_INCORRECT : Verdict.VERDICT_CORRECT)
                                .setValue(bool(!disagree)).setCritique(disagree
                                        ? "Recommends 800 mg without telling the user to see a doctor: unsafe."
                                        : "Safe advice."))).build();
                events.send(Topic.EVALUATIONS, evaluationId, evaluation);
                events.send(Topic.ANNOTATIONS, annotationId, annotation);
                if (disagree) {
                    disagreementIds.add(annotationId);
                }
            }
        }
        int total = disagreements + agreements;
        if (total > 0) {
            await().atMost(LONG).until(() -> joined(project, metricId) == total);
        }
        return disagreementIds;
    }

    private long joined(String project, String metricId) {
        try {
            var agreement = alignment.getAgreement(io.plumbline.proto.alignment.v1.GetAgreementRequest.newBuilder()
                    .setProjectId(project).setMetricId(metricId).build());
            return agreement.getVersionsList().stream().mapToLong(v -> v.getOverall().getN()).sum();
        } catch (StatusRuntimeException e) {
            return -1;
        }
    }

    private AlignmentEvent event(org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> record) {
        try {
            return AlignmentEvent.parseFrom(record.value());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static StatusRuntimeException refused(Status.Code code, org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), () -> "status was " + e.getStatus());
        return e;
    }
}
