package io.plumbline.judge.budget;

import static io.plumbline.judge.StreamFixture.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.StreamFixture;
import io.plumbline.judge.intake.Metrics;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.judge.v1.BudgetUsage;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.ListBudgetUsageRequest;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A binding's daily token budget: once spent, its records are skipped (counted, no provider call) for the rest of the
 * day, with one warning and a metric; tokens and cost are accounted from the price table.
 */
@QuarkusTest
class BudgetTest {

    @GrpcClient("judge")
    JudgeGrpc.JudgeBlockingStub judge;

    LlmStandIn llm;
    StreamFixture stream;

    @BeforeEach
    void start() {
        llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class));
        llm.byDefault(Reply.judgment(true, "Fine.").usage(300, 100));
        stream = new StreamFixture(judge);
    }

    @AfterEach
    void stop() {
        stream.close();
        llm.close();
    }

    @Test
    void aSpentBudgetStopsJudgingTheBindingForTheDay() {
        // 400 tokens per judgment: the second one spends the budget of 500.
        String metricId = stream.publish("budgeted", Level.LEVEL_SPAN,
                Binding.newBuilder().setName("capped").setDailyTokenBudget(500).build());
        double exhaustedBefore = Metrics.value("plumbline_judge_budget_exhausted_total{binding=\"capped\",metric=\"budgeted\"");
        // One record after the other (judgments in flight when the budget runs out would still finish).
        for (int i = 0; i < 5; i++) {
            stream.send(chat(OtlpSpans.newTraceId(), null, "Question " + i + " for budgeted", "Answer " + i + "."));
            int handled = i + 1;
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                BudgetUsage now = usage(metricId);
                return now.getEvaluations() + now.getSkippedBudget() == handled;
            });
        }

        BudgetUsage usage = usage(metricId);
        assertEquals(2, usage.getEvaluations());
        assertEquals(800, usage.getTokensUsed());
        assertTrue(usage.getExhausted());
        assertEquals(500, usage.getDailyTokenBudget());
        assertEquals(0, usage.getTokensRemaining());
        List<Evaluation> evaluations = stream.evaluations(metricId);
        assertEquals(2, evaluations.size());
        assertEquals(2, llm.requests(Match.contentContains("for budgeted")).size(), "skipped records cost no call");
        // gpt-4o-mini at 0.15 $ per million prompt tokens and 0.60 $ per million completion tokens
        double price = (300 * 0.15 + 100 * 0.60) / 1_000_000;
        assertEquals(price, evaluations.get(0).getCostUsd(), 1e-12);
        assertEquals(2 * price, usage.getCostUsd(), 1e-12);
        assertEquals(exhaustedBefore + 1,
                Metrics.value("plumbline_judge_budget_exhausted_total{binding=\"capped\",metric=\"budgeted\""),
                "one warning, not one per skipped record");
        assertEquals(3, Metrics.value("plumbline_judge_records_skipped_budget_total{binding=\"capped\",metric=\"budgeted\""));
        assertTrue(Metrics.value("plumbline_judge_tokens_total{kind=\"prompt\",metric=\"budgeted\"") >= 600);
        assertTrue(Metrics.value("plumbline_judge_cost_usd_total{metric=\"budgeted\"") > 0);

        assertEquals(1, judge.listBudgetUsage(ListBudgetUsageRequest.newBuilder().setProjectId(stream.project)
                .setExhaustedOnly(true).build()).getUsageCount());
        var invalid = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
                judge.listBudgetUsage(ListBudgetUsageRequest.newBuilder().setProjectId(stream.project)
                        .setDate("yesterday").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode());
    }

    private BudgetUsage usage(String metricId) {
        var page = judge.listBudgetUsage(ListBudgetUsageRequest.newBuilder().setProjectId(stream.project)
                .setMetricId(metricId).build());
        // the fixture's own Evaluate call (waiting for the catalog to know the metric) is counted under "ad-hoc"
        return page.getUsageList().stream().filter(u -> u.getBindingName().equals("capped")).findFirst()
                .orElse(BudgetUsage.getDefaultInstance());
    }
}
