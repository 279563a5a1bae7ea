package io.plumbline.console;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.plumbline.proto.alignment.v1.AlignmentGrpc;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.GetRunRequest;
import io.plumbline.proto.alignment.v1.RunDecision;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
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
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.testing.llm.LlmRequest;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.support.ui.Select;

/**
 * A metric owner starts an alignment run from the dialog, follows it live, reads the report and accepts the
 * candidate, which the registry publishes: the whole alignment flow in a real browser against the real services. The
 * other ends of a run: its candidate discarded, and the run cancelled while the reflection model keeps it waiting.
 */
@QuarkusTest
class AlignmentFlowTest {

    static final String GUIDELINE = "A promise of a refund after the 30-day window fails.";
    static final String OVERPROMISE = "Of course, we refund any purchase at any time";
    static final Predicate<LlmRequest> REFLECTION = Match.model("reflector");
    static final Predicate<LlmRequest> JUDGE = Match.model("judge-model");
    static final Predicate<LlmRequest> STALLED = Match.model("stalled-reflector");

    @TestHTTPResource("/")
    URL console;

    static ManagedChannel registryChannel;
    static ManagedChannel alignmentChannel;

    @BeforeAll
    static void connect() {
        registryChannel = Fixtures.channel(ConsoleServices.REGISTRY_PORT);
        alignmentChannel = Fixtures.channel(ConsoleServices.ALIGNMENT_PORT);
    }

    @AfterAll
    static void disconnect() {
        registryChannel.shutdownNow();
        alignmentChannel.shutdownNow();
    }

    /** A custom boolean metric whose judge passed twelve answers; the expert failed the six that overpromise. */
    record Disagreeing(String metricId, List<String> annotationIds) {
    }

    static Disagreeing refundPolicyMetric(String name) {
        var registry = MetricRegistryGrpc.newBlockingStub(registryChannel);
        String metricId = registry.createMetric(CreateMetricRequest.newBuilder().setProjectId(ConsoleServices.PROJECT)
                .setName(name).setDescription("Does the answer respect the refund policy?")
                .setLevel(Level.LEVEL_SPAN).setOutputType(OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()))
                .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("judge-model"))
                .setContent(VersionContent.newBuilder().setPromptTemplate(
                        "Question:\n{{input}}\nAnswer:\n{{output}}\n{{guidelines}}\n{{examples}}\n{{output_format}}"))
                .setAuthor(Author.newBuilder().setUser("root")).build()).getMetric().getId();
        Fixtures.awaitKnownToTheJudge(metricId);

        List<EvaluationEvent> events = new ArrayList<>();
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            boolean overpromise = i % 2 == 0;
            String answer = overpromise ? OVERPROMISE + " (order " + i + ")." : "Refunds are possible within 30 days (order " + i + ").";
            EvaluationEvent event = Fixtures.evaluation(metricId, name, "Can I get a refund for order " + i + "?",
                    answer, "Refunds within 30 days of delivery.", true, "Polite and clear.");
            events.add(event);
            labels.append(Fixtures.label(event, "alice", !overpromise, overpromise ? "The answer promises a refund at "
                    + "any time, but the policy allows refunds only within 30 days of delivery, so it fails." : null));
        }
        Fixtures.publish(events.toArray(EvaluationEvent[]::new));
        assertEquals(12, Fixtures.importLabels(labels.toString()));
        var alignment = AlignmentGrpc.newBlockingStub(alignmentChannel);
        var disagreements = await().atMost(Duration.ofSeconds(60)).until(() -> alignment.listDisagreements(
                ListDisagreementsRequest.newBuilder().setProjectId(ConsoleServices.PROJECT).setMetricId(metricId)
                        .setPageSize(50).build()).getDisagreementsList(), d -> d.size() == 6);
        return new Disagreeing(metricId, disagreements.stream().map(d -> d.getAnnotationId()).toList());
    }

    /** The reflection model distills the guideline; the judge with it fails the overpromises, as the expert did. */
    static void scriptALearningRun(LlmStandIn llm, Disagreeing metric) {
        String sources = String.join("\", \"", metric.annotationIds());
        llm.when(REFLECTION).reply(Reply.json("{\"guidelines\": [{\"text\": \"" + GUIDELINE + "\", \"source_ids\": [\"" + sources + "\"]}]}"));
        llm.when(REFLECTION.and(Match.contentContains("few-shot examples for the judge")))
                .reply(Reply.json("{\"example_ids\": []}"));
        llm.when(JUDGE).reply(Reply.judgment(true, "Polite and clear."));
        llm.when(JUDGE.and(Match.contentContains(GUIDELINE)).and(Match.contentContains("Answer:\n" + OVERPROMISE)))
                .reply(Reply.judgment(false, "Promises a refund outside the 30-day window."));
    }

    /** Starts a run of {@code metricId} from the Start Alignment dialog, with this reflection model. */
    static void startFromTheDialog(Browser browser, String metricId, String provider, String model, String screenshot) {
        browser.open("/alignment");
        browser.awaitText("Alignment runs");
        browser.find("#start-alignment").click();
        new Select(browser.find("#metric")).selectByValue(metricId);
        browser.find("#holdout").clear();
        browser.find("#holdout").sendKeys("0.5");
        browser.find("#reflectionProvider").sendKeys(provider);
        browser.find("#reflectionModel").sendKeys(model);
        if (screenshot != null) {
            browser.audit(screenshot);
        }
        browser.find("#start-run").click();
    }

    @Test
    void anOwnerStartsARunFollowsItReadsTheReportAndAcceptsTheCandidate() {
        LlmStandIn llm = StandIn.get();
        llm.reset();
        var registry = MetricRegistryGrpc.newBlockingStub(registryChannel);
        Disagreeing refundPolicy = refundPolicyMetric("refund_policy");
        String metricId = refundPolicy.metricId();
        scriptALearningRun(llm, refundPolicy);

        try (Browser browser = new Browser(console.toString().replaceAll("/$", ""))) {
            browser.open("/alignment");
            browser.signIn("key-root");
            startFromTheDialog(browser, metricId, "patient", "reflector", "alignment-start-dialog");

            browser.awaitText("Aligning refund_policy");
            // The page follows the run live and shows the report once it ends.
            browser.awaitText("Validation on");
            browser.audit("alignment-run-report");
            assertTrue(browser.find("#run-status").getText().contains("aligned"), browser.text());
            assertTrue(browser.find("#guideline-list").getText().contains(GUIDELINE));
            assertTrue(browser.find("#count-disagreements").getText().matches("[1-9]\\d*"), "disagreements were found");
            assertTrue(browser.find("#lift").getText().startsWith("+"), "the candidate agrees better: " + browser.text());

            browser.find("#accept-run").click();
            browser.awaitText("Accepted.");
            assertTrue(browser.find("#decision").getText().contains("as version 2"), browser.text());
            browser.audit("alignment-run-accepted");
        }
        var metric = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(ConsoleServices.PROJECT)
                .setMetricId(metricId).build());
        assertEquals(2, metric.getPublishedVersion(), "accepting with publish publishes the candidate");
        var v2 = registry.getVersion(GetVersionRequest.newBuilder().setProjectId(ConsoleServices.PROJECT)
                .setMetricId(metricId).setVersion(2).build());
        assertTrue(v2.getGuidelinesList().stream().anyMatch(g -> g.getText().equals(GUIDELINE)));
        assertTrue(v2.getAuthor().hasAlignmentRunId() || v2.getChangeNote().contains("run"), v2.toString());
    }

    @Test
    void anOwnerDiscardsTheCandidateOfAFinishedRun() {
        LlmStandIn llm = StandIn.get();
        llm.reset();
        Disagreeing refundPolicy = refundPolicyMetric("refund_policy_discarded");
        scriptALearningRun(llm, refundPolicy);

        String runId;
        try (Browser browser = new Browser(console.toString().replaceAll("/$", ""))) {
            browser.open("/alignment");
            browser.signIn("key-root");
            startFromTheDialog(browser, refundPolicy.metricId(), "patient", "reflector", null);
            browser.awaitText("Validation on");
            runId = browser.path().substring("/alignment/runs/".length());
            browser.find("#reason").sendKeys("The guideline is already in our review handbook.");
            browser.find("#discard-run").click();
            browser.awaitText("Discarded; the run stays in the history.");
            assertEquals("Discarded by root: The guideline is already in our review handbook.",
                    browser.find("#decision").getText());
            assertTrue(browser.all("#accept-run").isEmpty() && browser.all("#discard-run").isEmpty(),
                    "a decided run offers no decision");
            browser.audit("alignment-run-discarded");

            browser.open("/alignment");
            String row = browser.find("#runs tr:has(a[href='/alignment/runs/" + runId + "'])").getText();
            assertTrue(row.contains("Discarded by root"), "the run stays in the history: " + row);
        }
        var run = AlignmentGrpc.newBlockingStub(alignmentChannel).getRun(GetRunRequest.newBuilder()
                .setProjectId(ConsoleServices.PROJECT).setRunId(runId).build());
        assertEquals(RunDecision.Kind.KIND_DISCARDED, run.getDecision().getKind());
        assertEquals("root", run.getDecision().getDecidedBy());
        var metric = MetricRegistryGrpc.newBlockingStub(registryChannel).getMetric(GetMetricRequest.newBuilder()
                .setProjectId(ConsoleServices.PROJECT).setMetricId(refundPolicy.metricId()).build());
        assertEquals(1, metric.getHeadVersion(), "a discarded candidate creates no version");
    }

    @Test
    void anOwnerCancelsARunWhoseReflectionModelDoesNotAnswer() {
        LlmStandIn llm = StandIn.get();
        llm.reset();
        Disagreeing refundPolicy = refundPolicyMetric("refund_policy_cancelled");
        llm.reset(); // forget the judge's probe of the new metric: every request from here on is the run's
        // The reflection model never answers; on the unhurried provider the run waits for it (see ConsoleServices).
        llm.when(STALLED).reply(Reply.noAnswer());

        String runId;
        try (Browser browser = new Browser(console.toString().replaceAll("/$", ""))) {
            browser.open("/alignment");
            browser.signIn("key-root");
            startFromTheDialog(browser, refundPolicy.metricId(), ConsoleServices.UNHURRIED_PROVIDER, "stalled-reflector", null);
            browser.awaitText("Aligning refund_policy_cancelled");
            runId = browser.path().substring("/alignment/runs/".length());
            await().atMost(Duration.ofSeconds(60)).until(() -> !llm.requests(STALLED).isEmpty());
            // The page follows the run live: it is distilling, waiting for the reflection model.
            browser.awaitText("distilling");
            assertEquals("running", browser.find("#run-status").getText());
            browser.audit("alignment-run-running");

            browser.find("#cancel-run").click();
            browser.awaitText("Cancelled.");
            assertEquals("cancelled", browser.find("#run-status").getText());
            assertTrue(browser.all("#cancel-run").isEmpty(), "a cancelled run cannot be cancelled again");
            browser.audit("alignment-run-cancelled");
        }
        var run = AlignmentGrpc.newBlockingStub(alignmentChannel).getRun(GetRunRequest.newBuilder()
                .setProjectId(ConsoleServices.PROJECT).setRunId(runId).build());
        assertEquals(AlignmentRun.Status.STATUS_CANCELLED, run.getStatus());
        assertEquals("root", run.getCancelledBy());
        assertTrue(llm.requests(JUDGE).isEmpty(), "a run cancelled while distilling never validates");
    }
}
