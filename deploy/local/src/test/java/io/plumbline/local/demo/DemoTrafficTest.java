package io.plumbline.local.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.plumbline.local.demo.DemoDataset.Interaction;

/**
 * The demo traffic as an OTLP receiver gets it from the OpenTelemetry SDK's gRPC exporter: each dataset interaction in
 * its convention (OpenTelemetry GenAI, OpenInference, OpenLLMetry), with the project resource attribute, and with the
 * deterministic ids the label import names records by.
 */
class DemoTrafficTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One received span: its resource's and its own attributes as strings. */
    record Received(String traceId, String spanId, String parentSpanId, String name, Map<String, String> resource,
            Map<String, String> attributes, boolean error) {
    }

    final List<Received> received = new CopyOnWriteArrayList<>();
    Server receiver;
    DemoDataset dataset = DemoDataset.load();
    DemoIds ids = new DemoIds("test0001");

    @BeforeEach
    void startReceiver() throws IOException {
        receiver = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new TraceServiceGrpc.TraceServiceImplBase() {
                    @Override
                    public void export(ExportTraceServiceRequest request,
                            StreamObserver<ExportTraceServiceResponse> response) {
                        for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
                            Map<String, String> resource = strings(resourceSpans.getResource().getAttributesList());
                            for (ScopeSpans scope : resourceSpans.getScopeSpansList()) {
                                scope.getSpansList().forEach(span -> received.add(new Received(
                                        hex(span.getTraceId().toByteArray()), hex(span.getSpanId().toByteArray()),
                                        hex(span.getParentSpanId().toByteArray()), span.getName(), resource,
                                        strings(span.getAttributesList()),
                                        span.getStatus().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR)));
                            }
                        }
                        response.onNext(ExportTraceServiceResponse.getDefaultInstance());
                        response.onCompleted();
                    }
                }).build().start();
    }

    @AfterEach
    void stopReceiver() {
        receiver.shutdownNow();
    }

    @Test
    void everyScenarioInEveryConventionArrivesWithTheProjectAndTheIdsTheLabelImportNames() throws Exception {
        List<Interaction> sample = sample();
        int expectedSpans = 0;
        try (DemoTraffic traffic = new DemoTraffic("http://127.0.0.1:" + receiver.getPort(), "demo", ids, dataset.articles())) {
            for (Interaction interaction : sample) {
                traffic.send(interaction);
                expectedSpans += 2 + interaction.toolCalls().size() + (interaction.documentIds().isEmpty() ? 0 : 1);
            }
            assertTrue(traffic.flush(Duration.ofSeconds(30)));
            assertEquals(expectedSpans, traffic.spansSent());
        }
        int total = expectedSpans;
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= total);
        assertEquals(total, received.size());
        assertTrue(received.stream().allMatch(s -> "demo".equals(s.resource().get("plumbline.project"))));

        for (Interaction interaction : sample) {
            String traceId = ids.traceId(interaction.id());
            Map<String, Received> spans = received.stream().filter(s -> s.traceId().equals(traceId))
                    .collect(Collectors.toMap(Received::spanId, s -> s));
            Received root = spans.get(ids.spanId(interaction.id(), DemoIds.ROOT));
            Received llm = spans.get(ids.spanId(interaction.id(), DemoIds.LLM));
            assertTrue(root != null && llm != null, interaction.id() + ": " + spans.values());
            assertEquals("", root.parentSpanId(), "the root has no parent");
            assertEquals(root.spanId(), llm.parentSpanId());
            assertEquals(traceId + "/" + llm.spanId(), ids.llmSpanRecordId(interaction.id()));
            assertEquals(serviceFor(interaction), root.resource().get("service.name"));

            Map<String, String> a = llm.attributes();
            switch (interaction.convention()) {
                case "genai" -> {
                    assertEquals("chat", a.get("gen_ai.operation.name"));
                    assertEquals(interaction.model(), a.get("gen_ai.request.model"));
                    JsonNode output = JSON.readTree(a.get("gen_ai.output.messages"));
                    assertEquals(interaction.output(), output.at("/0/parts/0/content").asText());
                    JsonNode input = JSON.readTree(a.get("gen_ai.input.messages"));
                    assertEquals("system", input.at("/0/role").asText());
                    assertEquals(interaction.input(), input.at("/" + (input.size() - 1) + "/parts/0/content").asText());
                }
                case "openinference" -> {
                    assertEquals("LLM", a.get("openinference.span.kind"));
                    assertEquals("system", a.get("llm.input_messages.0.message.role"));
                    int last = 1 + interaction.history().size();
                    assertEquals(interaction.input(), a.get("llm.input_messages." + last + ".message.content"));
                    assertEquals(interaction.output(), a.get("llm.output_messages.0.message.content"));
                }
                case "openllmetry" -> {
                    assertEquals("chat", a.get("llm.request.type"));
                    assertEquals(interaction.model(), a.get("gen_ai.request.model"));
                    int last = 1 + interaction.history().size();
                    assertEquals(interaction.input(), a.get("gen_ai.prompt." + last + ".content"));
                    assertEquals(interaction.output(), a.get("gen_ai.completion.0.content"));
                }
                default -> throw new AssertionError(interaction.convention());
            }
            if (interaction.sessionId() != null) {
                String session = ids.sessionId(interaction.sessionId());
                String key = switch (interaction.convention()) {
                    case "genai" -> "gen_ai.conversation.id";
                    case "openinference" -> "session.id";
                    default -> "traceloop.association.properties.session_id";
                };
                assertEquals(session, root.attributes().get(key));
                assertEquals(session, a.get(key));
                assertEquals(interaction.sessionEnd() ? "true" : null, root.attributes().get("plumbline.session.end"));
            }
            for (int n = 1; n <= interaction.toolCalls().size(); n++) {
                Received tool = spans.get(ids.spanId(interaction.id(), DemoIds.tool(n)));
                assertTrue(tool != null, interaction.id() + " tool " + n);
                String name = interaction.toolCalls().get(n - 1).name();
                assertEquals(name, switch (interaction.convention()) {
                    case "genai" -> tool.attributes().get("gen_ai.tool.name");
                    case "openinference" -> tool.attributes().get("tool.name");
                    default -> tool.attributes().get("traceloop.entity.name");
                });
                assertEquals(interaction.toolCalls().get(n - 1).failed(), tool.error());
            }
            if (!interaction.documentIds().isEmpty()) {
                Received retrieval = spans.get(ids.spanId(interaction.id(), DemoIds.RETRIEVAL));
                assertEquals(interaction.documentIds().get(0), retrieval.attributes().get("retrieval.documents.0.document.id"));
                assertEquals(dataset.articles().get(interaction.documentIds().get(0)).text(),
                        retrieval.attributes().get("retrieval.documents.0.document.content"));
            }
        }
    }

    @Test
    void theLabelFileNamesTheRecordsTheTrafficProduces() throws Exception {
        String file = DemoRun.labelFile(dataset, ids, name -> DemoRun.METRIC_PREFIX + name);
        List<JsonNode> rows = new ArrayList<>();
        for (String line : file.split("\n")) {
            rows.add(JSON.readTree(line));
        }
        // Every label but the 7 that differ from the judge's value without a critique (the annotation-service requires
        // one for an incorrect verdict): 5 second opinions, and 2 principal groundedness labels within the tolerance.
        List<DemoDataset.Label> leftOut = dataset.labels().stream().map(Map.Entry::getValue)
                .filter(l -> l.disagrees() && l.critique() == null).toList();
        assertEquals(7, leftOut.size());
        assertEquals(5, leftOut.stream().filter(l -> !l.reviewer().equals(DemoRun.PRINCIPAL)).count());
        assertTrue(leftOut.stream().filter(l -> l.reviewer().equals(DemoRun.PRINCIPAL))
                .allMatch(l -> l.metric().equals("groundedness")));
        assertEquals(dataset.labels().size() - 7, rows.size());
        Map<String, Interaction> byRecord = new LinkedHashMap<>();
        for (Interaction interaction : dataset.interactions()) {
            byRecord.put(ids.llmSpanRecordId(interaction.id()), interaction);
            byRecord.put(ids.traceId(interaction.id()), interaction);
            if (interaction.sessionId() != null) {
                byRecord.put(ids.sessionId(interaction.sessionId()), interaction);
            }
        }
        for (JsonNode row : rows) {
            String record = row.path("record_id").asText();
            String metric = row.path("metric").asText().replace(DemoRun.METRIC_PREFIX, "");
            assertTrue(byRecord.containsKey(record), "unknown record " + record);
            switch (metric) {
                case "goal_completion", "wrong_tool_calls" -> assertTrue(record.matches("[0-9a-f]{32}"), record);
                case "session_resolved" -> assertTrue(record.matches("sess-\\d+-test0001"), record);
                default -> assertTrue(record.matches("[0-9a-f]{32}/[0-9a-f]{16}"), record);
            }
            assertFalse(row.path("reviewer").asText().isBlank());
            assertTrue(row.has("value"));
        }
        // A second opinion comes before the principal's label of the same record, so the principal's decides the item.
        int firstPrincipal = 0;
        while (!rows.get(firstPrincipal).path("reviewer").asText().equals(DemoRun.PRINCIPAL)) {
            firstPrincipal++;
        }
        assertEquals(16 - 5, firstPrincipal, "the second opinions first");
        assertTrue(rows.subList(firstPrincipal, rows.size()).stream()
                .allMatch(r -> r.path("reviewer").asText().equals(DemoRun.PRINCIPAL)));
        // Ids depend on the run's salt and the interaction only.
        assertEquals(new DemoIds("test0001").llmSpanRecordId("nw-0001"), ids.llmSpanRecordId("nw-0001"));
        assertFalse(new DemoIds("other").traceId("nw-0001").equals(ids.traceId("nw-0001")));
    }

    /** One interaction of every (scenario, convention) pair, a whole support session, and an agent with a failed call. */
    private List<Interaction> sample() {
        Map<String, Interaction> picks = new LinkedHashMap<>();
        for (Interaction interaction : dataset.interactions()) {
            picks.putIfAbsent(interaction.scenario() + "/" + interaction.convention(), interaction);
        }
        List<Interaction> sample = new ArrayList<>(picks.values());
        String session = dataset.interactions().stream().filter(i -> i.sessionId() != null && i.turn() == 3)
                .findFirst().orElseThrow().sessionId();
        dataset.interactions().stream().filter(i -> session.equals(i.sessionId()) && !sample.contains(i)).forEach(sample::add);
        dataset.interactions().stream().filter(i -> i.toolCalls().stream().anyMatch(DemoDataset.ToolCall::failed))
                .findFirst().filter(i -> !sample.contains(i)).ifPresent(sample::add);
        assertEquals(Set.of("genai", "openinference", "openllmetry"),
                sample.stream().map(Interaction::convention).collect(Collectors.toSet()));
        assertTrue(sample.stream().anyMatch(Interaction::sessionEnd));
        assertTrue(sample.stream().anyMatch(i -> i.toolCalls().stream().anyMatch(DemoDataset.ToolCall::failed)));
        return sample;
    }

    private static String serviceFor(Interaction interaction) {
        return switch (interaction.scenario()) {
            case "support" -> "northwind-support-assistant";
            case "rag" -> "northwind-kb-answers";
            default -> "northwind-order-agent";
        };
    }

    private static Map<String, String> strings(List<KeyValue> attributes) {
        Map<String, String> values = new LinkedHashMap<>();
        for (KeyValue kv : attributes) {
            var v = kv.getValue();
            values.put(kv.getKey(), switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue();
                case INT_VALUE -> Long.toString(v.getIntValue());
                case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
                case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
                default -> v.toString();
            });
        }
        return values;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
