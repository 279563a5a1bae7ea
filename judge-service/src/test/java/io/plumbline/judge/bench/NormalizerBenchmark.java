package io.plumbline.judge.bench;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.normalize.NormalizedSpan;
import io.plumbline.judge.normalize.SpanNormalizer;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The intake's CPU per span, in isolation and on one thread: decoding an OTLP record, normalizing its spans (their
 * snapshots serialized as they are stored for assembly, right after each is built), and, for comparison, serializing
 * every snapshot again in a later pass, as the intake did before 2026-12-06. The records are {@link StreamBenchmark}'s
 * (one trace of 10 GenAI spans of ~1 KB each). Not part of {@code verify} (the name does not end in Test); run with
 * {@code ./mvnw -B -ntp -o -f judge-service/pom.xml verify -Dtest=NormalizerBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}. Figures are thread CPU time, medians of {@code bench.passes} passes over
 * {@code bench.records} records after as many warm-up passes, and the bytes the thread allocated normalizing (what
 * the garbage collector then has to reclaim).
 */
class NormalizerBenchmark {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void normalize() throws Exception {
        int records = Integer.getInteger("bench.records", 2_000);
        int passes = Integer.getInteger("bench.passes", 15);
        List<byte[]> encoded = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            encoded.add(StreamBenchmark.trace(OtlpSpans.newTraceId(), "bench-normalize", i).toByteArray());
        }
        SpanNormalizer normalizer = new SpanNormalizer(32_768, "plumbline.project", "default");
        List<ExportTraceServiceRequest> decoded = new ArrayList<>();
        for (byte[] bytes : encoded) {
            decoded.add(ExportTraceServiceRequest.parseFrom(bytes));
        }
        int spans = decoded.stream().mapToInt(NormalizerBenchmark::spanCount).sum();
        List<Double> decode = new ArrayList<>();
        List<Double> normalize = new ArrayList<>();
        List<Double> serialize = new ArrayList<>();
        List<Double> normalizeAllocated = new ArrayList<>();
        long sink = 0;
        for (int pass = 0; pass < 2 * passes; pass++) {
            long start = THREADS.getCurrentThreadCpuTime();
            for (byte[] bytes : encoded) {
                sink += ExportTraceServiceRequest.parseFrom(bytes).getResourceSpansCount();
            }
            long decodedAt = THREADS.getCurrentThreadCpuTime();
            long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
            List<NormalizedSpan> normalized = new ArrayList<>(spans);
            for (ExportTraceServiceRequest request : decoded) {
                for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
                    for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                        for (Span span : scopeSpans.getSpansList()) {
                            normalized.add(normalizer.normalize(resourceSpans.getResource(), span));
                        }
                    }
                }
            }
            long normalizedAt = THREADS.getCurrentThreadCpuTime();
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
            for (NormalizedSpan span : normalized) {
                sink += span.snapshot().toByteArray().length; // serialized afresh: protobuf memoizes sizes, not bytes
            }
            long serialized = THREADS.getCurrentThreadCpuTime();
            if (pass >= passes) { // the first half warms up
                decode.add((decodedAt - start) / 1e3 / spans);
                normalize.add((normalizedAt - decodedAt) / 1e3 / spans);
                serialize.add((serialized - normalizedAt) / 1e3 / spans);
                normalizeAllocated.add((double) allocated / spans);
            }
        }
        System.out.printf("BENCH normalizer: %d records, %d spans, %d passes (sink %d): CPU per span, median: decode %.2f us,"
                        + " normalize (the stored snapshot serialized) %.2f us, serialize the snapshot again later %.2f us;"
                        + " allocated per span by normalizing %.0f bytes%n",
                records, spans, passes, sink % 10, median(decode), median(normalize), median(serialize),
                median(normalizeAllocated));
    }

    private static int spanCount(ExportTraceServiceRequest request) {
        return request.getResourceSpansList().stream().flatMap(r -> r.getScopeSpansList().stream())
                .mapToInt(ScopeSpans::getSpansCount).sum();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
