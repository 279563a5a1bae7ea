package io.plumbline.judge.bench;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.StreamFixture;
import io.plumbline.judge.judging.JudgeModel;
import io.plumbline.judge.normalize.SpanNormalizer;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.testing.llm.Latency;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Reply;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The judge's LLM call on its own: {@link JudgeModel#judge} (render the prompt, call the provider through the gateway
 * and LangChain4j, read and validate the answer) for {@link StreamBenchmark}'s span records, with its provider settings
 * (concurrency 1,000, the stand-in answering after 300 ms), nothing stored. Reports calls per second and the CPU this
 * JVM spends per call (the stand-in's included: it runs here too), each round and the median of the rounds after the
 * first {@code bench.warmup}. Not part of {@code verify}; run with {@code ./mvnw -B -ntp -o -f judge-service/pom.xml
 * verify -Dtest=LlmCallBenchmark -Dsurefire.failIfNoSpecifiedTests=false -DargLine=-Xmx512m}.
 */
@QuarkusTest
@TestProfile(StreamBenchmark.Profile.class)
class LlmCallBenchmark {

    @Inject
    JudgeModel judgeModel;

    @Test
    void judgeCalls() throws Exception {
        int calls = Integer.getInteger("bench.calls", 20_000);
        int rounds = Integer.getInteger("bench.rounds", 6);
        int warmup = Integer.getInteger("bench.warmup", 2);
        List<RecordSnapshot> records = records(calls / (StreamBenchmark.SPANS_PER_TRACE - 1) + 1);
        var judge = new JudgeModel.Judge("bench-llm", MetricVersionRef.newBuilder().setMetricId("bench-helpfulness")
                .setVersion(1).build(), "bench-helpfulness", StreamFixture.BOOLEAN,
                VersionContent.newBuilder().setPromptTemplate(
                        "bench-helpfulness: is this helpful? <data>{{input}} {{output}}</data> {{output_format}}").build(),
                ModelConfig.newBuilder().setProvider("patient").setModel("gpt-4o-mini").build(),
                Evaluation.Origin.ORIGIN_STREAM, "every-span");
        List<Double> cpuPerCall = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        try (LlmStandIn llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class))) {
            llm.byDefault(Reply.judgment(true, "Fine.").usage(400, 40)).keepRequests(false);
            llm.latency(Latency.fixed(Duration.ofMillis(300)));
            for (int round = 0; round < rounds; round++) {
                CountDownLatch done = new CountDownLatch(calls);
                AtomicInteger passed = new AtomicInteger();
                List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
                long cpu = StreamBenchmark.processCpuNanos();
                long start = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    judgeModel.judge(judge, records.get(i)).subscribe().with(evaluation -> {
                        if (evaluation.getStatus() == Evaluation.Status.STATUS_OK && evaluation.getValue().getBoolean()) {
                            passed.incrementAndGet();
                        }
                        done.countDown();
                    }, failure -> {
                        failures.add(failure);
                        done.countDown();
                    });
                }
                if (!done.await(5, TimeUnit.MINUTES) || !failures.isEmpty() || passed.get() != calls) {
                    throw new AssertionError(passed.get() + " of " + calls + " calls judged as scripted; failures: "
                            + failures.stream().limit(3).toList());
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double cpuMs = (StreamBenchmark.processCpuNanos() - cpu) / 1e6 / calls;
                System.out.printf("BENCH llm calls round %d%s: %.0f calls/s, CPU of this JVM %.3f ms per call, %.2f cores%n",
                        round + 1, round < warmup ? " (warm-up)" : "", calls / seconds, cpuMs, cpuMs * calls / 1e3 / seconds);
                if (round >= warmup) {
                    cpuPerCall.add(cpuMs);
                    rates.add(calls / seconds);
                }
            }
        }
        System.out.printf("BENCH llm calls: %d calls per round, 300 ms latency, concurrency 1000, median of %d rounds after"
                + " %d warm-up: %.0f calls/s, CPU %.3f ms per call%n", calls, rounds - warmup, warmup,
                StreamBenchmark.median(rates), StreamBenchmark.median(cpuPerCall));
    }

    /** The span records the judging benchmark judges: its traces' LLM call spans, normalized. */
    private static List<RecordSnapshot> records(int traces) {
        SpanNormalizer normalizer = new SpanNormalizer(32_768, "plumbline.project", "default");
        List<RecordSnapshot> records = new ArrayList<>();
        for (int n = 0; n < traces; n++) {
            ExportTraceServiceRequest trace = StreamBenchmark.trace(OtlpSpans.newTraceId(), "bench-llm", n);
            for (ResourceSpans resourceSpans : trace.getResourceSpansList()) {
                for (Span span : resourceSpans.getScopeSpans(0).getSpansList()) {
                    if (span.getParentSpanId().isEmpty()) {
                        continue; // the agent's root span carries no GenAI content; the judging benchmark skips it
                    }
                    records.add(normalizer.normalize(resourceSpans.getResource(), span).snapshot());
                }
            }
        }
        return records;
    }
}
