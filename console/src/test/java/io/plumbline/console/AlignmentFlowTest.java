package io.plumbline.console;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.plumbline.proto.alignment.v1.AlignmentGrpc;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.ImportLabelsRequest;
import io.plumbline.proto.annotation.v1.LabelFormat;
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
import java.nio.charset.StandardCharsets;
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
 * candidate, which the registry publishes: the whole alignment flow in a real browser against the real services.
 */
@QuarkusTest
class AlignmentFlowTest {

    static final String GUIDELINE = "A promise of a refund after the 30-day window fails.";
    static final String OVERPROMISE = "Of course, we refund any purchase at any time";
    static final Predicate<LlmRequest> REFLECTION = Match.model("reflector");
    static final Predicate<LlmRequest> JUDGE = Match.model("judge-model");

    @TestHTTPResource("/")
    URL console;

    static ManagedChannel registryChannel;
    static ManagedChannel annotationsChannel;
    static ManagedChannel alignmentChannel;

    @BeforeAll
    static void connect() {
        registryChannel = Fixtures.channel(ConsoleServices.REGISTRY_PORT);
        annotationsChannel = Fixtures.channel(ConsoleServices.ANNOTATIONS_PORT);
        alignmentChannel = Fixtures.channel(ConsoleServices.ALIGNMENT_PORT);
    }

    @AfterAll
    static void disconnect() {
        registryChannel.shutdownNow();
        annotationsChannel.shutdownNow();
        alignmentChannel.shutdownNow();
    }

    @Test
    void anOwnerStartsARunFollowsItReadsTheReportAndAcceptsTheCandidate() {
        LlmStandIn llm = StandIn.get();
        llm.reset();
        var registry = MetricRegistryGrpc.newBlockingStub(registryChannel);
        String metricId = registry.createMetric(CreateMetricRequest.newBuilder().setProjectId(ConsoleServices.PROJECT)
                .setName("refund_policy").setDescription("Does the answer respect the refund policy?")
                .setLevel(Level.LEVEL_SPAN).setOutputType(OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()))
                .setJudgeModel(ModelConfig.newBuilder().setProvider("patient").setModel("judge-model"))
                .setContent(VersionContent.newBuilder().setPromptTemplate(
                        "Question:\n{{input}}\nAnswer:\n{{output}}\n{{guidelines}}\n{{examples}}\n{{output_format}}"))
                .setAuthor(Author.newBuilder().setUser("root")).build()).getMetric().getId();
        Fixtures.awaitKnownToTheJudge(metricId);

        // Twelve judged answers the judge passed; the expert fails the six that promise refunds at any time.
        List<EvaluationEvent> events = new ArrayList<>();
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            boolean overpromise = i % 2 == 0;
            String answer = overpromise ? OVERPROMISE + " (order " + i + ")." : "Refunds are possible within 30 days (order " + i + ").";
            EvaluationEvent event = Fixtures.evaluation(metricId, "refund_policy", "Can I get a refund for order " + i + "?",
                    answer, "Refunds within 30 days of delivery.", true, "Polite and clear.");
            events.add(event);
            labels.append("{\"evaluation_id\":\"").append(event.getEvaluation().getId()).append("\",\"metric\":\"")
                    .append(metricId).append("\",\"reviewer\":\"alice\",\"value\":").append(!overpromise)
                    .append(overpromise ? ",\"critique\":\"The answer promises a refund at any time, but the policy "
                            + "allows refunds only within 30 days of delivery, so it fails.\"" : "").append("}\n");
        }
        Fixtures.publish(events.toArray(EvaluationEvent[]::new));
        var annotations = Fixtures.as("key-root", AnnotationsGrpc.newBlockingStub(annotationsChannel));
        var imported = await().atMost(Duration.ofSeconds(60)).until(() -> annotations.importLabels(
                ImportLabelsRequest.newBuilder().setProjectId(ConsoleServices.PROJECT).setFormat(LabelFormat.LABEL_FORMAT_JSONL)
                        .setContent(ByteString.copyFrom(labels.toString(), StandardCharsets.UTF_8)).build()),
                r -> r.getRejected() == 0);
        assertEquals(12, imported.getImported() + imported.getUnchanged() + imported.getUpdated(), imported.toString());
        var alignment = AlignmentGrpc.newBlockingStub(alignmentChannel);
        var disagreements = await().atMost(Duration.ofSeconds(60)).until(() -> alignment.listDisagreements(
                ListDisagreementsRequest.newBuilder().setProjectId(ConsoleServices.PROJECT).setMetricId(metricId)
                        .setPageSize(50).build()).getDisagreementsList(), d -> d.size() == 6);
        String sources = String.join("\", \"", disagreements.stream().map(d -> d.getAnnotationId()).toList());

        // The reflection model distills the guideline; the judge with it fails the overpromises, as the expert did.
        llm.when(REFLECTION).reply(Reply.json("{\"guidelines\": [{\"text\": \"" + GUIDELINE + "\", \"source_ids\": [\"" + sources + "\"]}]}"));
        llm.when(REFLECTION.and(Match.contentContains("few-shot examples for the judge")))
                .reply(Reply.json("{\"example_ids\": []}"));
        llm.when(JUDGE).reply(Reply.judgment(true, "Polite and clear."));
        llm.when(JUDGE.and(Match.contentContains(GUIDELINE)).and(Match.contentContains("Answer:\n" + OVERPROMISE)))
                .reply(Reply.judgment(false, "Promises a refund outside the 30-day window."));

        try (Browser browser = new Browser(console.toString().replaceAll("/$", ""))) {
            browser.open("/alignment");
            browser.signIn("key-root");
            browser.awaitText("Alignment runs");
            browser.find("#start-alignment").click();
            new Select(browser.find("#metric")).selectByValue(metricId);
            browser.find("#holdout").clear();
            browser.find("#holdout").sendKeys("0.5");
            browser.find("#reflectionProvider").sendKeys("patient");
            browser.find("#reflectionModel").sendKeys("reflector");
            browser.screenshot("alignment-start-dialog");
            browser.find("#start-run").click();

            browser.awaitText("Aligning refund_policy");
            // The page follows the run live and shows the report once it ends.
            browser.awaitText("Validation on");
            browser.screenshot("alignment-run-report");
            assertTrue(browser.find("#run-status").getText().contains("aligned"), browser.text());
            assertTrue(browser.find("#guideline-list").getText().contains(GUIDELINE));
            assertTrue(browser.find("#count-disagreements").getText().matches("[1-9]\\d*"), "disagreements were found");
            assertTrue(browser.find("#lift").getText().startsWith("+"), "the candidate agrees better: " + browser.text());

            browser.find("#accept-run").click();
            browser.awaitText("Accepted.");
            assertTrue(browser.find("#decision").getText().contains("as version 2"), browser.text());
            browser.screenshot("alignment-run-accepted");
        }
        var metric = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(ConsoleServices.PROJECT)
                .setMetricId(metricId).build());
        assertEquals(2, metric.getPublishedVersion(), "accepting with publish publishes the candidate");
        var v2 = registry.getVersion(GetVersionRequest.newBuilder().setProjectId(ConsoleServices.PROJECT)
                .setMetricId(metricId).setVersion(2).build());
        assertTrue(v2.getGuidelinesList().stream().anyMatch(g -> g.getText().equals(GUIDELINE)));
        assertTrue(v2.getAuthor().hasAlignmentRunId() || v2.getChangeNote().contains("run"), v2.toString());
    }
}
