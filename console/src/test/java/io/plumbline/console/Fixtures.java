package io.plumbline.console;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.ImportLabelsRequest;
import io.plumbline.proto.annotation.v1.LabelFormat;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.RecordRef;
import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.RecordContext;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.RetrievedDocument;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.ForkMetricRequest;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.testing.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** What the browser tests put into the services through their public interfaces: Kafka events and gRPC calls. */
final class Fixtures {

    /** The built-in preset answer_correctness (boolean, span level), version 1. */
    static final String ANSWER_CORRECTNESS = "00000000-0000-4000-8000-000000000001";

    private Fixtures() {
    }

    static ManagedChannel channel(String portKey) {
        int port = ConfigProvider.getConfig().getValue(portKey, Integer.class);
        return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    static <S extends AbstractStub<S>> S as(String apiKey, S stub) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), apiKey);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    /** An evaluation of answer_correctness v1 as the judge-service emits it, with the record it judged. */
    static EvaluationEvent evaluation(String question, String answer, String document, boolean judgeValue, String reasoning) {
        return evaluation(ANSWER_CORRECTNESS, "answer_correctness", question, answer, document, judgeValue, reasoning);
    }

    /** An evaluation of version 1 of a boolean metric as the judge-service emits it, with the record it judged. */
    static EvaluationEvent evaluation(String metricId, String metricName, String question, String answer, String document,
                                      boolean judgeValue, String reasoning) {
        return evaluation(metricId, metricName, 1, Instant.now(), question, answer, document, judgeValue, reasoning);
    }

    /** An evaluation of {@code version} of a boolean metric made at {@code when}, with the record it judged. */
    static EvaluationEvent evaluation(String metricId, String metricName, int version, Instant when, String question,
                                      String answer, String document, boolean judgeValue, String reasoning) {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        String spanId = traceId.substring(0, 16);
        RecordRef record = RecordRef.newBuilder().setProjectId(ConsoleServices.PROJECT).setLevel(Level.LEVEL_SPAN)
                .setRecordId(traceId + ":" + spanId).setTraceId(traceId).setSpanId(spanId).build();
        Timestamp now = Timestamp.newBuilder().setSeconds(when.getEpochSecond()).build();
        RecordSnapshot snapshot = RecordSnapshot.newBuilder().setRecord(record).setInput(question).setOutput(answer)
                .setModel("gpt-4o-mini").setName("chat gpt-4o-mini")
                .setContext(RecordContext.newBuilder().setSystemInstructions("You are Northwind's support assistant.")
                        .addDocuments(RetrievedDocument.newBuilder().setId("kb-returns").setContent(document)))
                .addMessages(ChatMessage.newBuilder().setRole(MessageRole.MESSAGE_ROLE_USER).setContent(question))
                .addMessages(ChatMessage.newBuilder().setRole(MessageRole.MESSAGE_ROLE_ASSISTANT).setContent(answer)
                        .setIsOutput(true))
                .setStartTime(now).setEndTime(now).setContentHash(UUID.randomUUID().toString()).build();
        Evaluation evaluation = Evaluation.newBuilder().setId(UUID.randomUUID().toString())
                .setProjectId(ConsoleServices.PROJECT).setRecord(record)
                .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metricId).setVersion(version))
                .setMetricName(metricName)
                .setOutputType(OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()))
                .setValue(MetricValue.newBuilder().setBoolean(judgeValue)).setReasoning(reasoning)
                .setStatus(Evaluation.Status.STATUS_OK).setOrigin(Evaluation.Origin.ORIGIN_STREAM)
                .setContentHash(snapshot.getContentHash()).setCreateTime(now).setRecordEndTime(now).build();
        return EvaluationEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setEventTime(now)
                .setProjectId(ConsoleServices.PROJECT).setMetricId(metricId).setEvaluation(evaluation)
                .setSnapshot(snapshot).build();
    }

    /**
     * A custom metric forked from answer_correctness in the test project, once the judge-service has learnt it from
     * {@code plumbline.metrics} (a version published now judges the next records).
     */
    static String forkKnownToTheJudge(String name) {
        ManagedChannel registryChannel = channel(ConsoleServices.REGISTRY_PORT);
        try {
            String id = MetricRegistryGrpc.newBlockingStub(registryChannel)
                    .forkMetric(ForkMetricRequest.newBuilder()
                            .setProjectId(ConsoleServices.PROJECT).setSourceMetricId(ANSWER_CORRECTNESS).setName(name)
                            .setAuthor(Author.newBuilder().setUser("root")).build())
                    .getMetric().getId();
            awaitKnownToTheJudge(id);
            return id;
        } finally {
            registryChannel.shutdownNow();
        }
    }

    /** Waits until the judge-service has learnt metric {@code id} from {@code plumbline.metrics}. */
    static void awaitKnownToTheJudge(String id) {
        ManagedChannel judgeChannel = channel(ConsoleServices.JUDGE_PORT);
        try {
            var judge = JudgeGrpc.newBlockingStub(judgeChannel);
            var probe = EvaluateRequest.newBuilder().setProjectId(ConsoleServices.PROJECT)
                    .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(id).setVersion(1))
                    .addItems(EvaluateItem.newBuilder().setKey("probe").setSnapshot(
                            RecordSnapshot.newBuilder().setRecord(RecordRef.newBuilder()
                                            .setProjectId(ConsoleServices.PROJECT).setLevel(Level.LEVEL_SPAN)
                                            .setRecordId("probe")).setInput("probe").setOutput("probe")))
                    .build();
            await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s
                            && s.getStatus().getCode() == Status.Code.NOT_FOUND)
                    .until(() -> judge.evaluate(probe).getResultsCount() == 1);
        } finally {
            judgeChannel.shutdownNow();
        }
    }

    /** One line of a JSONL label import: {@code reviewer}'s value (and critique, may be null) for {@code event}. */
    static String label(EvaluationEvent event, String reviewer, boolean value, String critique) {
        return "{\"evaluation_id\":\"" + event.getEvaluation().getId() + "\",\"metric\":\"" + event.getMetricId()
                + "\",\"reviewer\":\"" + reviewer + "\",\"value\":" + value
                + (critique == null ? "" : ",\"critique\":\"" + critique + "\"") + "}\n";
    }

    /**
     * Imports JSONL labels through the annotation-service as an admin, once it has every evaluation they name (the
     * evaluations arrive over Kafka); returns how many labels it took.
     */
    static long importLabels(String labels) {
        ManagedChannel annotationsChannel = channel(ConsoleServices.ANNOTATIONS_PORT);
        try {
            var annotations = as("key-root", AnnotationsGrpc.newBlockingStub(annotationsChannel));
            var imported = await().atMost(Duration.ofSeconds(60)).until(() -> annotations.importLabels(
                    ImportLabelsRequest.newBuilder().setProjectId(ConsoleServices.PROJECT)
                            .setFormat(LabelFormat.LABEL_FORMAT_JSONL)
                            .setContent(ByteString.copyFrom(labels, StandardCharsets.UTF_8)).build()),
                    r -> r.getRejected() == 0);
            return imported.getImported() + imported.getUnchanged() + imported.getUpdated();
        } finally {
            annotationsChannel.shutdownNow();
        }
    }

    static void publish(EvaluationEvent... events) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers());
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (EvaluationEvent event : events) {
                producer.send(new ProducerRecord<>("plumbline.evaluations", event.getMetricId(), event.toByteArray()));
            }
            producer.flush();
        }
    }
}
