package io.plumbline.alignment.bench;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.plumbline.alignment.ServicesResource;
import io.plumbline.common.kafka.Topic;
import io.plumbline.proto.alignment.v1.AlignmentGrpc.AlignmentBlockingStub;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.GetRunRequest;
import io.plumbline.proto.alignment.v1.PhaseUsage;
import io.plumbline.proto.alignment.v1.RunSettings;
import io.plumbline.proto.alignment.v1.StartRunRequest;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.AnnotationEvent;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.annotation.v1.Verdict;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.llm.Latency;
import io.plumbline.testing.llm.LlmProviderResource;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Match;
import io.plumbline.testing.llm.Reply;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Figures for the README, not a test of behaviour (not part of {@code verify}: the name does not end in Test). One
 * alignment run over {@code bench.annotations} (2,000) resolved annotations of which {@code bench.disagreements} (400)
 * disagree, the LLM stand-in answering every call after {@code bench.latency-ms} (500 ms), the packaged registry and
 * judge-service as processes. Reports wall time and LLM calls and tokens by phase, and checks the floors.
 *
 * <pre>./mvnw -B -ntp -o -f alignment-service/pom.xml test -Dtest=RunBenchmark -Dplumbline.apps.dir=/tmp/apps</pre>
 */
@QuarkusTest
@TestProfile(RunBenchmark.Production.class)
class RunBenchmark {

    /** The production batching of validation (the test profile judges 4 at a time to test cancelling). */
    public static class Production implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("plumbline.alignment.validation.chunk-size", "32",
                    "plumbline.alignment.validation.max-concurrency", "16");
        }
    }

    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();
    static final String GUIDELINE = "A specific dosage without a referral to a doctor fails.";

    @GrpcClient("alignment")
    AlignmentBlockingStub alignment;

    @Test
    void alignmentRun() throws Exception {
        int annotations = Integer.getInteger("bench.annotations", 2000);
        int disagreements = Integer.getInteger("bench.disagreements", 400);
        int latencyMs = Integer.getInteger("bench.latency-ms", 500);
        String project = "bench-" + UUID.randomUUID().toString().substring(0, 8);

        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1",
                ConfigProvider.getConfig().getValue(ServicesResource.REGISTRY_PORT, Integer.class)).usePlaintext().build();
        String metricId = MetricRegistryGrpc.newBlockingStub(channel).createMetric(CreateMetricRequest.newBuilder()
                .setProjectId(project).setName("medical-safety").setDescription("Is the answer medically safe?")
                .setLevel(Level.LEVEL_SPAN).setOutputType(BOOLEAN)
                .setJudgeModel(ModelConfig.newBuilder().setProvider("openai").setModel("judge-model"))
                .setContent(VersionContent.newBuilder()
                        .setPromptTemplate("Question:\n{{input}}\nAnswer:\n{{output}}\n{{guidelines}}\n{{examples}}\n{{output_format}}"))
                .setAuthor(Author.newBuilder().setUser("bench")).setChangeNote("bench").build()).getMetric().getId();
        channel.shutdownNow();

        List<String> disagreementIds = send(project, metricId, annotations, disagreements);
        Instant sent = Instant.now();
        await().atMost(Duration.ofMinutes(5)).ignoreExceptions().until(() -> alignment.getAgreement(
                GetAgreementRequest.newBuilder().setProjectId(project).setMetricId(metricId).build())
                .getVersions(0).getOverall().getN() == annotations);
        Duration joined = Duration.between(sent, Instant.now());

        try (LlmStandIn llm = LlmStandIn.start(ConfigProvider.getConfig().getValue(LlmProviderResource.PORT, Integer.class))) {
            llm.latency(Latency.fixed(Duration.ofMillis(latencyMs)));
            String ids = String.join("\", \"", disagreementIds);
            llm.when(Match.model("reflector")).reply(Reply.json("{\"guidelines\": [{\"text\": \"" + GUIDELINE
                    + "\", \"source_ids\": [\"" + ids + "\"]}]}"));
            llm.when(Match.model("reflector").and(Match.contentContains("few-shot examples for the judge")))
                    .reply(Reply.json("{\"example_ids\": [\"" + String.join("\", \"", disagreementIds.subList(0, 5)) + "\"]}"));
            llm.when(Match.model("judge-model")).reply(Reply.judgment(true, "Helpful."));
            llm.when(Match.model("judge-model").and(Match.contentContains(GUIDELINE))
                    .and(Match.contentContains("Answer:\nTake"))).reply(Reply.judgment(false, "A dosage without a doctor."));

            Instant start = Instant.now();
            AlignmentRun started = alignment.startRun(StartRunRequest.newBuilder().setProjectId(project)
                    .setMetricId(metricId).setSettings(RunSettings.newBuilder().setSeed(42)).build());
            GetRunRequest get = GetRunRequest.newBuilder().setProjectId(project).setRunId(started.getId()).build();
            AlignmentRun run = await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> alignment.getRun(get), r -> r.getStatus() != AlignmentRun.Status.STATUS_PENDING
                            && r.getStatus() != AlignmentRun.Status.STATUS_RUNNING);
            Duration wall = Duration.between(start, Instant.now());
            report(run, wall, joined, annotations, disagreements, latencyMs, llm);
        }
    }

    private static void report(AlignmentRun run, Duration wall, Duration joined, int annotations, int disagreements,
            int latencyMs, LlmStandIn llm) throws Exception {
        StringBuilder out = new StringBuilder();
        out.append(String.format("Alignment run over %d resolved annotations (%d disagreements), stand-in latency %d ms%n",
                annotations, disagreements, latencyMs));
        out.append(String.format("status %s, rounds %d, holdout %d, lift %.1f points (base %.3f, candidate %.3f)%n",
                run.getStatus(), run.getRoundsDone(), run.getValidation().getHoldoutSize(),
                run.getValidation().getLiftPoints(), run.getValidation().getBase().getAccuracy().getValue(),
                run.getValidation().getCandidate().getAccuracy().getValue()));
        out.append(String.format("wall time %.1f s (floor 120 s); join of the %d annotations %.1f s before it%n%n",
                wall.toMillis() / 1000.0, annotations, joined.toMillis() / 1000.0));
        out.append("| phase | LLM calls | prompt tokens | completion tokens | wall s |\n|---|---|---|---|---|\n");
        long reflectionCalls = 0;
        long validationCalls = 0;
        for (PhaseUsage u : run.getUsageList()) {
            out.append(String.format("| %s | %d | %d | %d | %.1f |%n", u.getPhase().name().replace("PHASE_", "").toLowerCase(),
                    u.getLlmCalls(), u.getPromptTokens(), u.getCompletionTokens(),
                    u.getDuration().getSeconds() + u.getDuration().getNanos() / 1e9));
            if (u.getPhase() == AlignmentRun.Phase.PHASE_DISTILLING_GUIDELINES) {
                reflectionCalls += u.getLlmCalls();
            }
            if (u.getPhase() == AlignmentRun.Phase.PHASE_VALIDATING) {
                validationCalls += u.getLlmCalls();
            }
        }
        long reflectionFloor = disagreements / 20 + 2;
        out.append(String.format("%nreflection calls %d (floor %d: %s); validation calls %d (floor: holdout %d: %s); "
                        + "wall time %s; stand-in requests seen %d%n",
                reflectionCalls, reflectionFloor, reflectionCalls <= reflectionFloor ? "met" : "NOT MET",
                validationCalls, run.getValidation().getHoldoutSize(),
                validationCalls <= run.getValidation().getHoldoutSize() ? "met" : "NOT MET",
                wall.toSeconds() < 120 ? "met" : "NOT MET", llm.requests().size()));
        System.out.println(out);
        Path file = Path.of("target/benchmark/alignment-run.md");
        Files.createDirectories(file.getParent());
        Files.writeString(file, out.toString());
    }

    /** The labelled judgments, through Kafka as the judge-service and annotation-service send them. */
    private static List<String> send(String project, String metricId, int annotations, int disagreements)
            throws Exception {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        List<String> disagreementIds = new ArrayList<>();
        List<Future<?>> sends = new ArrayList<>();
        try (var producer = new KafkaProducer<String, byte[]>(config, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < annotations; i++) {
                boolean disagree = i < disagreements;
                boolean unsafe = disagree || i % 8 < 3; // agreeing rows: some unsafe (both say false), most safe
                boolean judge = disagree || !unsafe;
                boolean expert = !unsafe;
                String evaluationId = UUID.randomUUID().toString();
                String annotationId = UUID.randomUUID().toString();
                RecordRef record = RecordRef.newBuilder().setProjectId(project).setLevel(Level.LEVEL_SPAN)
                        .setRecordId("trace-" + i + "/span-1").build();
                var now = com.google.protobuf.Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond()).build();
                MetricValue judgeValue = MetricValue.newBuilder().setBoolean(judge).build();
                MetricValue expertValue = MetricValue.newBuilder().setBoolean(expert).build();
                EvaluationEvent evaluation = EvaluationEvent.newBuilder().setEventId(UUID.randomUUID().toString())
                        .setEventTime(now).setProjectId(project).setMetricId(metricId)
                        .setEvaluation(Evaluation.newBuilder().setId(evaluationId).setProjectId(project).setRecord(record)
                                .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metricId).setVersion(1))
                                .setOutputType(BOOLEAN).setValue(judgeValue).setReasoning("Looks helpful.")
                                .setStatus(Evaluation.Status.STATUS_OK).setCreateTime(now))
                        .setSnapshot(RecordSnapshot.newBuilder().setRecord(record)
                                .setInput("My head hurts (" + i + "). What should I do?")
                                .setOutput(unsafe ? "Take " + (400 + i % 5 * 100) + " mg of ibuprofen every 4 hours."
                                        : "Rest, drink water and see a doctor if it persists."))
                        .build();
                AnnotationEvent annotation = AnnotationEvent.newBuilder().setEventId(UUID.randomUUID().toString())
                        .setEventTime(now).setProjectId(project).setMetricId(metricId).setAnnotationId(annotationId)
                        .setType(AnnotationEvent.Type.TYPE_RESOLVED)
                        .setAnnotation(Annotation.newBuilder().setId(annotationId).setProjectId(project)
                                .setEvaluationId(evaluationId)
                                .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metricId).setVersion(1))
                                .setJudgeValue(judgeValue).setJudgeReasoning("Looks helpful.")
                                .setExpectedValue(expertValue).setJudgeCorrect(judge == expert)
                                .addCritiques(Critique.newBuilder().setReviewerId("dana")
                                        .setVerdict(judge == expert ? Verdict.VERDICT_CORRECT : Verdict.VERDICT_INCORRECT)
                                        .setValue(expertValue).setCritique(disagree
                                                ? "Recommends a dose without telling the user to see a doctor: unsafe."
                                                : "Agreed."))
                                .addReviewerIds("dana").setRevision(1).setResolveTime(now).setUpdateTime(now))
                        .build();
                sends.add(producer.send(new ProducerRecord<>(Topic.EVALUATIONS.topicName(), evaluationId,
                        evaluation.toByteArray())));
                sends.add(producer.send(new ProducerRecord<>(Topic.ANNOTATIONS.topicName(), annotationId,
                        annotation.toByteArray())));
                if (disagree) {
                    disagreementIds.add(annotationId);
                }
            }
            for (Future<?> send : sends) {
                send.get();
            }
        }
        return disagreementIds;
    }
}
