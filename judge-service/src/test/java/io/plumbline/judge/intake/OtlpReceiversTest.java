package io.plumbline.judge.intake;

import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.OtlpSpans.newTraceId;
import static io.plumbline.judge.OtlpSpans.request;
import static io.plumbline.judge.OtlpSpans.resource;
import static io.plumbline.judge.OtlpSpans.span;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import com.google.rpc.Status;

import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc.TraceServiceBlockingStub;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.plumbline.common.kafka.Topic;
import io.plumbline.judge.OtlpSpans;
import io.plumbline.judge.normalize.NormalizedSpan;
import io.plumbline.proto.judge.v1.SourceConvention;
import io.plumbline.testing.KafkaTestConsumer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/** Applications without a Collector export to the judge over OTLP/gRPC and OTLP/HTTP, with the OpenTelemetry SDK. */
@QuarkusTest
class OtlpReceiversTest {

    private static final Duration DELIVERY = Duration.ofSeconds(30);

    @TestHTTPResource("/")
    URL root;

    @Inject
    RecordedSpans recorded;

    @GrpcClient("otlp")
    TraceServiceBlockingStub traceService;

    @GrpcClient("otlp")
    io.grpc.Channel channel;

    /** Two traces (an agent span with a chat span under it, each), exported in one batch; returns their trace ids. */
    private static List<String> exportTwoTraces(SpanExporter exporter) {
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "support-bot",
                        AttributeKey.stringKey("plumbline.project"), "acme")))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofHours(1)).build())
                .build();
        try {
            Tracer tracer = provider.get("plumbline-test");
            String first = conversation(tracer, "Where is my order 1234?", "It ships tomorrow.");
            String second = conversation(tracer, "Cancel order 99.", "Order 99 is cancelled.");
            assertTrue(provider.forceFlush().join(20, TimeUnit.SECONDS).isSuccess(), "the exporter reported success");
            return List.of(first, second);
        } finally {
            provider.shutdown().join(10, TimeUnit.SECONDS);
        }
    }

    private static String conversation(Tracer tracer, String question, String answer) {
        Span agent = tracer.spanBuilder("invoke_agent support").setAttribute("gen_ai.operation.name", "invoke_agent").startSpan();
        try (Scope ignored = agent.makeCurrent()) {
            tracer.spanBuilder("chat gpt-4o-mini")
                    .setAttribute("gen_ai.operation.name", "chat")
                    .setAttribute("gen_ai.request.model", "gpt-4o-mini")
                    .setAttribute("gen_ai.usage.input_tokens", 31L)
                    .setAttribute("gen_ai.usage.output_tokens", 9L)
                    .setAttribute("gen_ai.input.messages",
                            "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"" + question + "\"}]}]")
                    .setAttribute("gen_ai.output.messages",
                            "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"" + answer + "\"}]}]")
                    .startSpan().end();
        } finally {
            agent.end();
        }
        return agent.getSpanContext().getTraceId();
    }

    /** Every record on otlp_spans of these traces lands keyed by its trace id and holds only that trace's spans. */
    private static void assertKeyedByTraceId(KafkaTestConsumer spans, List<String> traceIds) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = spans.await(all -> all.stream().map(KafkaTestConsumer::key)
                .collect(Collectors.toSet()).containsAll(traceIds), DELIVERY);
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (!traceIds.contains(KafkaTestConsumer.key(record))) {
                continue;
            }
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(record.value());
            Set<String> traces = request.getResourceSpansList().stream().flatMap(r -> r.getScopeSpansList().stream())
                    .flatMap(s -> s.getSpansList().stream()).map(s -> HexFormat.of().formatHex(s.getTraceId().toByteArray()))
                    .collect(Collectors.toSet());
            assertEquals(Set.of(KafkaTestConsumer.key(record)), traces, "one trace per record, the key's");
            assertTrue(request.getResourceSpans(0).getResource().getAttributesList().stream().anyMatch(a ->
                    a.getKey().equals("service.name") && a.getValue().getStringValue().equals("support-bot")),
                    "the resource travels with the spans");
        }
    }

    private void assertNormalized(List<String> traceIds) {
        List<NormalizedSpan> first = recorded.await(traceIds.get(0), 2);
        NormalizedSpan chat = first.stream().filter(s -> s.snapshot().getName().startsWith("chat")).findFirst().orElseThrow();
        assertEquals("Where is my order 1234?", chat.snapshot().getInput());
        assertEquals("It ships tomorrow.", chat.snapshot().getOutput());
        assertEquals(SourceConvention.SOURCE_CONVENTION_OTEL_GENAI, chat.snapshot().getConvention());
        assertEquals("acme", chat.snapshot().getRecord().getProjectId());
        assertEquals(40, chat.snapshot().getTokenUsage().getTotalTokens());
        assertTrue(first.stream().anyMatch(NormalizedSpan::isRoot), "the agent span is the root");
        assertEquals("Order 99 is cancelled.", recorded.await(traceIds.get(1), 2).stream()
                .filter(s -> s.hasGenAiContent()).findFirst().orElseThrow().snapshot().getOutput());
    }

    @Test
    void spansExportedWithTheSdkOverGrpcLandOnOtlpSpansKeyedByTraceIdAndAreNormalized() throws Exception {
        double before = Metrics.value("plumbline_intake_spans_received_total{source=\"grpc\"}");
        try (var spans = KafkaTestConsumer.fromNow(Topic.OTLP_SPANS.topicName())) {
            List<String> traceIds = exportTwoTraces(OtlpGrpcSpanExporter.builder()
                    .setEndpoint("http://" + root.getHost() + ":" + root.getPort()).setCompression("gzip")
                    .setTimeout(Duration.ofSeconds(15)).build());

            assertKeyedByTraceId(spans, traceIds);
            assertNormalized(traceIds);
        }
        assertEquals(before + 4, Metrics.value("plumbline_intake_spans_received_total{source=\"grpc\"}"));
    }

    @Test
    void spansExportedWithTheSdkOverHttpProtobufLandOnOtlpSpansKeyedByTraceIdAndAreNormalized() throws Exception {
        try (var spans = KafkaTestConsumer.fromNow(Topic.OTLP_SPANS.topicName())) {
            List<String> traceIds = exportTwoTraces(OtlpHttpSpanExporter.builder()
                    .setEndpoint(root + "v1/traces").setCompression("gzip").setTimeout(Duration.ofSeconds(15)).build());

            assertKeyedByTraceId(spans, traceIds);
            assertNormalized(traceIds);
        }
    }

    @Test
    void otlpJsonOverHttpIsAcceptedAndAnsweredInJson() {
        String traceId = newTraceId();
        String body = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"js-app"}}]},
                 "scopeSpans":[{"scope":{"name":"@traceloop/node-server-sdk"},"spans":[
                  {"traceId":"%s","spanId":"1af7651916cd43dd","name":"openai.chat","kind":3,
                   "startTimeUnixNano":"1763800000000000000","endTimeUnixNano":"1763800001000000000",
                   "attributes":[{"key":"gen_ai.prompt.0.role","value":{"stringValue":"user"}},
                                 {"key":"gen_ai.prompt.0.content","value":{"stringValue":"Summarize the ticket"}},
                                 {"key":"gen_ai.completion.0.role","value":{"stringValue":"assistant"}},
                                 {"key":"gen_ai.completion.0.content","value":{"stringValue":"Customer wants a refund."}}]}]}]}]}"""
                .formatted(traceId);

        given().contentType("application/json").body(body).post("/v1/traces")
                .then().statusCode(200).contentType("application/json");

        NormalizedSpan span = recorded.await(traceId, 1).get(0);
        assertEquals(SourceConvention.SOURCE_CONVENTION_OPENLLMETRY, span.snapshot().getConvention());
        assertEquals("Summarize the ticket", span.snapshot().getInput());
        assertEquals("Customer wants a refund.", span.snapshot().getOutput());
    }

    @Test
    void spansWithInvalidIdsAreRejectedAsAPartialSuccessAndTheOthersAccepted() {
        String good = newTraceId();
        ExportTraceServiceRequest request = request(resource("service.name", "svc"),
                span(good, "chat", attr("gen_ai.prompt", "kept")),
                span("chat", attr("gen_ai.prompt", "rejected")).setSpanId(OtlpSpans.bytes("0000000000000000")));

        ExportTraceServiceResponse response = traceService.export(request);

        assertEquals(1, response.getPartialSuccess().getRejectedSpans());
        assertTrue(response.getPartialSuccess().getErrorMessage().contains("span_id"), response.getPartialSuccess().getErrorMessage());
        assertEquals("kept", recorded.await(good, 1).get(0).snapshot().getInput());
    }

    @Test
    void aRequestWithNoAcceptableSpanIsInvalidArgumentOverGrpcAndBadRequestOverHttp() throws Exception {
        ExportTraceServiceRequest invalid = request(resource(), span("chat").setTraceId(OtlpSpans.bytes("00")));

        StatusRuntimeException grpc = assertThrows(StatusRuntimeException.class, () -> traceService.export(invalid));
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, grpc.getStatus().getCode());

        byte[] http = given().contentType("application/x-protobuf").body(invalid.toByteArray()).post("/v1/traces")
                .then().statusCode(400).contentType("application/x-protobuf").extract().asByteArray();
        Status status = Status.parseFrom(http);
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT.value(), status.getCode());
        assertTrue(status.getMessage().contains("trace_id"), status.getMessage());
    }

    @Test
    void aMalformedGrpcExportIsInvalidArgument() {
        var raw = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName("opentelemetry.proto.collector.trace.v1.TraceService", "Export"))
                .setRequestMarshaller(RawBytes.INSTANCE).setResponseMarshaller(RawBytes.INSTANCE).build();

        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls
                .blockingUnaryCall(channel, raw, io.grpc.CallOptions.DEFAULT, "not protobuf".getBytes(StandardCharsets.UTF_8)));

        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), refused.getStatus().toString());
    }

    /** Bytes as they are, to send what no typed client would. */
    enum RawBytes implements io.grpc.MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

        @Override
        public java.io.InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(java.io.InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    void malformedBodiesAreBadRequestsAndOtherContentTypesUnsupported() {
        byte[] protobuf = given().contentType("application/x-protobuf").body("not protobuf".getBytes(StandardCharsets.UTF_8))
                .post("/v1/traces").then().statusCode(400).extract().asByteArray();
        String json = given().contentType("application/json").body("{\"resourceSpans\": [").post("/v1/traces")
                .then().statusCode(400).contentType("application/json").extract().asString();
        given().contentType("text/plain").body("hello").post("/v1/traces").then().statusCode(415);

        assertTrue(new String(protobuf, StandardCharsets.ISO_8859_1).contains("undecodable otlp_proto"));
        assertTrue(json.contains("\"code\":3") && json.contains("undecodable otlp_json"), json);
    }
}
