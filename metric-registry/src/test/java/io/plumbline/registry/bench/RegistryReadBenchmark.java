package io.plumbline.registry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthGrpc;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.GetPublishedVersionRequest;
import io.plumbline.proto.registry.v1.Guideline;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.VersionContent;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.api.Test;

/**
 * gRPC reads of a metric's published version ({@code GetPublishedVersion}) by N concurrent clients against the packaged
 * registry running as its own process, on real PostgreSQL and Kafka. Open loop at a fixed rate, latency measured from
 * the intended send time (no coordinated omission), so queueing shows in the percentiles. The baseline, measured in the
 * same run at the same rate, is the gRPC health check on the same server: the transport's own cost. Each phase runs
 * several rounds and the report gives medians.
 *
 * <p>Run: {@code ./mvnw -pl metric-registry -am verify -Pbenchmark}. Settings (system properties): {@code bench.rate}
 * (2000 requests/s), {@code bench.clients} (8), {@code bench.seconds} (10 per round), {@code bench.rounds} (3).
 * The report is printed and written to {@code metric-registry/target/benchmark/registry-read.md}.
 */
@QuarkusIntegrationTest
class RegistryReadBenchmark {

    private static final int RATE = Integer.getInteger("bench.rate", 2000);
    private static final int CLIENTS = Integer.getInteger("bench.clients", 8);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 10);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

    @Test
    void publishedVersionReads() throws Exception {
        int port = io.restassured.RestAssured.port;
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            channels.add(ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build());
        }
        try {
            var metric = MetricRegistryGrpc.newBlockingStub(channels.get(0)).createMetric(metricRequest());
            var read = GetPublishedVersionRequest.newBuilder().setProjectId(metric.getMetric().getProjectId())
                    .setMetricId(metric.getMetric().getId()).build();
            Function<ManagedChannel, ListenableFuture<?>> registryRead =
                    channel -> MetricRegistryGrpc.newFutureStub(channel).getPublishedVersion(read);
            Function<ManagedChannel, ListenableFuture<?>> healthCheck =
                    channel -> HealthGrpc.newFutureStub(channel).check(HealthCheckRequest.getDefaultInstance());
            assertEquals(1, MetricRegistryGrpc.newBlockingStub(channels.get(0)).getPublishedVersion(read)
                    .getVersion().getVersion());

            closedLoop(channels, registryRead, Duration.ofSeconds(15)); // warm-up: JIT, pools, caches
            closedLoop(channels, healthCheck, Duration.ofSeconds(5));

            List<Result> baseline = new ArrayList<>();
            List<Result> reads = new ArrayList<>();
            List<Double> saturation = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                baseline.add(openLoop(channels, healthCheck));
                reads.add(openLoop(channels, registryRead));
                saturation.add(closedLoop(channels, registryRead, Duration.ofSeconds(5)));
            }
            report(baseline, reads, saturation, serverRssMiB());
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    /** Sends at RATE requests/s spread over the clients for SECONDS; latency counts from the intended send time. */
    private static Result openLoop(List<ManagedChannel> channels, Function<ManagedChannel, ListenableFuture<?>> call)
            throws InterruptedException {
        Recorder recorder = new Recorder(3);
        AtomicLong errors = new AtomicLong();
        long intervalNanos = 1_000_000_000L * channels.size() / RATE;
        long requestsPerClient = (long) RATE * SECONDS / channels.size();
        long start = System.nanoTime() + 10_000_000;
        List<Thread> senders = new ArrayList<>();
        for (int c = 0; c < channels.size(); c++) {
            ManagedChannel channel = channels.get(c);
            long offset = intervalNanos * c / channels.size();
            senders.add(Thread.ofPlatform().start(() -> {
                for (long i = 0; i < requestsPerClient; i++) {
                    long intended = start + offset + i * intervalNanos;
                    long wait;
                    while ((wait = intended - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    Futures.addCallback(call.apply(channel), new FutureCallback<Object>() {
                        @Override
                        public void onSuccess(Object result) {
                            recorder.recordValue((System.nanoTime() - intended) / 1000);
                        }

                        @Override
                        public void onFailure(Throwable t) {
                            errors.incrementAndGet();
                        }
                    }, MoreExecutors.directExecutor());
                }
            }));
        }
        for (Thread sender : senders) {
            sender.join();
        }
        Histogram histogram = awaitAll(recorder, requestsPerClient * channels.size() - errors.get(), errors);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(histogram.getTotalCount() / seconds, histogram.getValueAtPercentile(50) / 1000.0,
                histogram.getValueAtPercentile(99) / 1000.0, histogram.getValueAtPercentile(99.9) / 1000.0,
                histogram.getMaxValue() / 1000.0, errors.get());
    }

    /** Keeps 4 requests in flight per client for {@code duration}; returns the requests/s achieved. */
    private static double closedLoop(List<ManagedChannel> channels, Function<ManagedChannel, ListenableFuture<?>> call,
            Duration duration) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + duration.toNanos();
        long start = System.nanoTime();
        List<Thread> clients = new ArrayList<>();
        for (ManagedChannel channel : channels) {
            clients.add(Thread.ofPlatform().start(() -> {
                Semaphore inFlight = new Semaphore(4);
                while (System.nanoTime() < end) {
                    inFlight.acquireUninterruptibly();
                    call.apply(channel).addListener(() -> {
                        done.incrementAndGet();
                        inFlight.release();
                    }, MoreExecutors.directExecutor());
                }
                inFlight.acquireUninterruptibly(4);
            }));
        }
        for (Thread client : clients) {
            client.join();
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    private static Histogram awaitAll(Recorder recorder, long expected, AtomicLong errors) {
        Histogram total = new Histogram(3);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (total.getTotalCount() < expected && System.nanoTime() < deadline) {
            total.add(recorder.getIntervalHistogram());
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        total.add(recorder.getIntervalHistogram());
        return total;
    }

    private static long serverRssMiB() throws IOException {
        var server = ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("quarkus-run.jar"))
                .findFirst().orElseThrow(() -> new IllegalStateException("the registry process is not a child of this JVM"));
        return Files.readAllLines(Path.of("/proc", Long.toString(server.pid()), "status")).stream()
                .filter(line -> line.startsWith("VmRSS:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", "")) / 1024)
                .findFirst().orElseThrow();
    }

    private static void report(List<Result> baseline, List<Result> reads, List<Double> saturation, long rssMiB)
            throws IOException {
        Result b = Result.median(baseline);
        Result r = Result.median(reads);
        String report = """
                # metric-registry: GetPublishedVersion over gRPC
                %d clients, open loop at %d requests/s, %d rounds of %d s each; medians over the rounds.
                Baseline: grpc.health.v1.Health/Check on the same server, same rate, same run.

                | call | achieved req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |
                |---|---|---|---|---|---|---|
                | baseline (health check) | %.0f | %.3f | %.3f | %.3f | %.1f | %d |
                | GetPublishedVersion | %.0f | %.3f | %.3f | %.3f | %.1f | %d |

                p50 ratio to baseline: %.2f; p99 ratio to baseline: %.2f
                Closed-loop throughput of GetPublishedVersion (4 in flight per client), median: %.0f req/s (rounds: %s)
                Server RSS after the run: %d MiB
                """.formatted(CLIENTS, RATE, ROUNDS, SECONDS,
                b.rate(), b.p50(), b.p99(), b.p999(), b.max(), b.errors(),
                r.rate(), r.p50(), r.p99(), r.p999(), r.max(), r.errors(),
                r.p50() / b.p50(), r.p99() / b.p99(),
                median(saturation), saturation.stream().map(s -> String.format("%.0f", s)).toList(), rssMiB);
        System.out.println(report);
        Path out = Path.of("target", "benchmark", "registry-read.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private static CreateMetricRequest metricRequest() {
        return CreateMetricRequest.newBuilder()
                .setProjectId("bench")
                .setName("bench-" + System.nanoTime())
                .setDescription("Benchmark metric")
                .setLevel(Level.LEVEL_SPAN)
                .setOutputType(OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()))
                .setJudgeModel(ModelConfig.newBuilder().setProvider("openai").setModel("gpt-4o-mini"))
                .setContent(VersionContent.newBuilder()
                        .setPromptTemplate("Judge the answer.\n<data>{{input}}</data>\n<data>{{output}}</data>\n"
                                + "{{guidelines}}\n{{examples}}\n{{output_format}}")
                        .addGuidelines(Guideline.newBuilder().setText("A referral to a doctor counts as a disclaimer.")))
                .setAuthor(Author.newBuilder().setUser("bench"))
                .build();
    }

    private record Result(double rate, double p50, double p99, double p999, double max, long errors) {
        static Result median(List<Result> results) {
            return new Result(med(results, Result::rate), med(results, Result::p50), med(results, Result::p99),
                    med(results, Result::p999), med(results, Result::max), (long) med(results, r -> (double) r.errors()));
        }

        private static double med(List<Result> results, java.util.function.ToDoubleFunction<Result> f) {
            double[] values = results.stream().mapToDouble(f).toArray();
            Arrays.sort(values);
            return values[values.length / 2];
        }
    }
}
