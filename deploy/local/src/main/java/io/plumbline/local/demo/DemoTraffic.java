package io.plumbline.local.demo;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.plumbline.local.demo.DemoDataset.Article;
import io.plumbline.local.demo.DemoDataset.Interaction;
import io.plumbline.local.demo.DemoDataset.Message;
import io.plumbline.local.demo.DemoDataset.ToolCall;

/**
 * The demo's GenAI traffic: each interaction of the dataset as the spans its application would export with the
 * OpenTelemetry SDK over OTLP/gRPC, in the tracing convention the dataset names for it — OpenTelemetry GenAI,
 * OpenInference or OpenLLMetry attribute names. Three applications (resource {@code service.name}): the support
 * assistant (multi-turn sessions, retrieval), the knowledge-base answers (retrieval) and the order agent (tool calls).
 * Every span carries the resource attribute {@code plumbline.project}.
 *
 * <p>A trace: a root span (the turn, the question or the agent run), a retrieval span when documents were retrieved,
 * one span per tool call, and the LLM call that wrote the answer. Ids come from {@link DemoIds}.
 */
public final class DemoTraffic implements AutoCloseable {

    public static final String PROJECT_ATTRIBUTE = "plumbline.project";
    public static final String SESSION_END_ATTRIBUTE = "plumbline.session.end";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> SERVICE_BY_SCENARIO = Map.of(
            "support", "northwind-support-assistant", "rag", "northwind-kb-answers", "agent", "northwind-order-agent");

    private final DemoIds ids;
    private final Map<String, Article> articles;
    private final Map<String, SdkTracerProvider> providers = new LinkedHashMap<>();
    private final Map<String, Tracer> tracers = new LinkedHashMap<>();
    private long spansSent;

    /** Traffic to the OTLP/gRPC receiver at {@code endpoint} (for example http://127.0.0.1:8082), for {@code project}. */
    public DemoTraffic(String endpoint, String project, DemoIds ids, Map<String, Article> articles) {
        this.ids = ids;
        this.articles = articles;
        for (Map.Entry<String, String> app : SERVICE_BY_SCENARIO.entrySet()) {
            SdkTracerProvider provider = SdkTracerProvider.builder()
                    .setIdGenerator(ids)
                    .setResource(Resource.create(Attributes.of(
                            AttributeKey.stringKey("service.name"), app.getValue(),
                            AttributeKey.stringKey("deployment.environment.name"), "demo",
                            AttributeKey.stringKey(PROJECT_ATTRIBUTE), project)))
                    .addSpanProcessor(BatchSpanProcessor.builder(OtlpGrpcSpanExporter.builder()
                                    .setEndpoint(endpoint).setTimeout(Duration.ofSeconds(30)).build())
                            .setScheduleDelay(Duration.ofMillis(200)).setMaxExportBatchSize(256).build())
                    .build();
            providers.put(app.getKey(), provider);
            tracers.put(app.getKey(), provider.get("io.plumbline.local.demo", "1.0"));
        }
    }

    /** Spans handed to the exporters so far. */
    public synchronized long spansSent() {
        return spansSent;
    }

    /** Exports what is buffered; true when the exporters confirmed it within the timeout. */
    public boolean flush(Duration timeout) {
        boolean ok = true;
        for (SdkTracerProvider provider : providers.values()) {
            ok &= provider.forceFlush().join(timeout.toMillis(), TimeUnit.MILLISECONDS).isSuccess();
        }
        return ok;
    }

    @Override
    public void close() {
        for (SdkTracerProvider provider : providers.values()) {
            provider.close();
        }
    }

    /** Sends one interaction as its trace. */
    public synchronized void send(Interaction interaction) {
        Tracer tracer = tracers.get(interaction.scenario());
        if (tracer == null) {
            throw new IllegalArgumentException("unknown scenario " + interaction.scenario() + " of " + interaction.id());
        }
        Convention convention = Convention.of(interaction.convention());
        // Times as the application saw them: the root spans the whole interaction, its children follow each other.
        Instant start = Instant.now().minusMillis(1500);
        Instant[] clock = {start.plusMillis(20)};

        ids.next(interaction.id(), DemoIds.ROOT);
        Span root = root(tracer, interaction, convention).setStartTimestamp(start).startSpan();
        Context parent = Context.root().with(root);
        String sessionId = interaction.sessionId() == null ? null : ids.sessionId(interaction.sessionId());
        if (sessionId != null) {
            convention.session(root, sessionId);
            if (interaction.sessionEnd()) {
                root.setAttribute(SESSION_END_ATTRIBUTE, "true");
            }
        }
        int spans = 1;
        if (!interaction.documentIds().isEmpty()) {
            ids.next(interaction.id(), DemoIds.RETRIEVAL);
            Span retrieval = retrieval(tracer, interaction, convention).setParent(parent).setStartTimestamp(clock[0]).startSpan();
            retrieval.end(advance(clock, 80));
            spans++;
        }
        int n = 0;
        for (ToolCall call : interaction.toolCalls()) {
            n++;
            ids.next(interaction.id(), DemoIds.tool(n));
            Span tool = tool(tracer, interaction, call, n, convention).setParent(parent).setStartTimestamp(clock[0]).startSpan();
            if (call.failed()) {
                tool.setStatus(StatusCode.ERROR, call.result().path("message").asText("tool call failed"));
            }
            tool.end(advance(clock, 120));
            spans++;
        }
        ids.next(interaction.id(), DemoIds.LLM);
        Span llm = llm(tracer, interaction, convention).setParent(parent).setStartTimestamp(clock[0]).startSpan();
        if (sessionId != null) {
            convention.session(llm, sessionId);
        }
        llm.end(advance(clock, 900));
        spans++;
        root.end(advance(clock, 10));
        spansSent += spans;
    }

    private static Instant advance(Instant[] clock, long millis) {
        clock[0] = clock[0].plusMillis(millis);
        return clock[0];
    }

    // ------------------------------------------------------------------------------------------------ span shapes

    private SpanBuilder root(Tracer tracer, Interaction interaction, Convention convention) {
        String answer = interaction.output();
        return switch (convention) {
            case GENAI -> interaction.agent()
                    ? tracer.spanBuilder("invoke_agent order_agent").setSpanKind(SpanKind.INTERNAL)
                            .setAttribute("gen_ai.operation.name", "invoke_agent")
                            .setAttribute("gen_ai.agent.name", "order_agent")
                            .setAttribute("gen_ai.provider.name", "openai")
                            .setAttribute("gen_ai.request.model", interaction.model())
                    : tracer.spanBuilder(interaction.support() ? "support_turn" : "answer_question")
                            .setSpanKind(SpanKind.SERVER)
                            .setAttribute("app.feature", interaction.scenario());
            case OPENINFERENCE -> tracer.spanBuilder(interaction.agent() ? "order_agent" : interaction.support()
                            ? "support_turn" : "answer_question")
                    .setAttribute("openinference.span.kind", interaction.agent() ? "AGENT" : "CHAIN")
                    .setAttribute("input.value", interaction.input())
                    .setAttribute("input.mime_type", "text/plain")
                    .setAttribute("output.value", answer)
                    .setAttribute("output.mime_type", "text/plain");
            case OPENLLMETRY -> tracer.spanBuilder((interaction.agent() ? "order_agent" : interaction.support()
                            ? "support_turn" : "answer_question") + (interaction.agent() ? ".agent" : ".workflow"))
                    .setAttribute("traceloop.span.kind", interaction.agent() ? "agent" : "workflow")
                    .setAttribute("traceloop.entity.name", interaction.agent() ? "order_agent"
                            : interaction.support() ? "support_turn" : "answer_question")
                    .setAttribute("traceloop.workflow.name", interaction.scenario())
                    .setAttribute("traceloop.entity.input", json(Map.of("question", interaction.input())))
                    .setAttribute("traceloop.entity.output", json(Map.of("answer", answer)));
        };
    }

    private SpanBuilder retrieval(Tracer tracer, Interaction interaction, Convention convention) {
        SpanBuilder span = switch (convention) {
            case GENAI -> tracer.spanBuilder("retrieve knowledge_base").setAttribute("app.retriever", "knowledge_base");
            case OPENINFERENCE -> tracer.spanBuilder("retrieve").setAttribute("openinference.span.kind", "RETRIEVER")
                    .setAttribute("input.value", interaction.input());
            case OPENLLMETRY -> tracer.spanBuilder("knowledge_base.task").setAttribute("traceloop.span.kind", "task")
                    .setAttribute("traceloop.entity.name", "retrieve");
        };
        // The retrieved documents, as OpenInference names them (the one document convention the judge reads).
        int i = 0;
        for (String id : interaction.documentIds()) {
            Article article = article(id);
            span.setAttribute("retrieval.documents." + i + ".document.id", id);
            span.setAttribute("retrieval.documents." + i + ".document.content", article.text());
            span.setAttribute("retrieval.documents." + i + ".document.score", 0.92 - 0.07 * i);
            i++;
        }
        return span;
    }

    private SpanBuilder tool(Tracer tracer, Interaction interaction, ToolCall call, int n, Convention convention) {
        String arguments = call.arguments().toString();
        String result = call.result().toString();
        String callId = "call_" + ids.spanId(interaction.id(), DemoIds.tool(n));
        return switch (convention) {
            case GENAI -> tracer.spanBuilder("execute_tool " + call.name())
                    .setAttribute("gen_ai.operation.name", "execute_tool")
                    .setAttribute("gen_ai.tool.name", call.name())
                    .setAttribute("gen_ai.tool.type", "function")
                    .setAttribute("gen_ai.tool.call.id", callId)
                    .setAttribute("gen_ai.tool.call.arguments", arguments)
                    .setAttribute("gen_ai.tool.call.result", result);
            case OPENINFERENCE -> tracer.spanBuilder(call.name())
                    .setAttribute("openinference.span.kind", "TOOL")
                    .setAttribute("tool.name", call.name())
                    .setAttribute("tool_call.id", callId)
                    .setAttribute("tool_call.function.arguments", arguments)
                    .setAttribute("input.value", arguments)
                    .setAttribute("input.mime_type", "application/json")
                    .setAttribute("output.value", result)
                    .setAttribute("output.mime_type", "application/json");
            case OPENLLMETRY -> tracer.spanBuilder(call.name() + ".tool")
                    .setAttribute("traceloop.span.kind", "tool")
                    .setAttribute("traceloop.entity.name", call.name())
                    .setAttribute("traceloop.entity.input", arguments)
                    .setAttribute("traceloop.entity.output", result);
        };
    }

    private SpanBuilder llm(Tracer tracer, Interaction interaction, Convention convention) {
        List<Message> prompt = new ArrayList<>();
        prompt.add(new Message("system", systemPrompt(interaction)));
        prompt.addAll(interaction.history());
        prompt.add(new Message("user", interaction.input()));
        long inputTokens = prompt.stream().mapToLong(m -> tokens(m.content())).sum();
        long outputTokens = tokens(interaction.output());
        String model = interaction.model();
        String responseModel = model.equals("gpt-4o") ? "gpt-4o-2024-08-06" : "gpt-4o-mini-2024-07-18";
        switch (convention) {
            case GENAI -> {
                ArrayNode input = JSON.createArrayNode();
                for (Message message : prompt) {
                    ObjectNode m = input.addObject().put("role", message.role());
                    m.putArray("parts").addObject().put("type", "text").put("content", message.content());
                }
                ArrayNode output = JSON.createArrayNode();
                ObjectNode answer = output.addObject().put("role", "assistant");
                answer.putArray("parts").addObject().put("type", "text").put("content", interaction.output());
                answer.put("finish_reason", "stop");
                return tracer.spanBuilder("chat " + model).setSpanKind(SpanKind.CLIENT)
                        .setAttribute("gen_ai.operation.name", "chat")
                        .setAttribute("gen_ai.provider.name", "openai")
                        .setAttribute("gen_ai.request.model", model)
                        .setAttribute("gen_ai.response.model", responseModel)
                        .setAttribute("gen_ai.request.temperature", 0.2)
                        .setAttribute("gen_ai.usage.input_tokens", inputTokens)
                        .setAttribute("gen_ai.usage.output_tokens", outputTokens)
                        .setAttribute("gen_ai.input.messages", input.toString())
                        .setAttribute("gen_ai.output.messages", output.toString());
            }
            case OPENINFERENCE -> {
                SpanBuilder span = tracer.spanBuilder("ChatCompletion")
                        .setAttribute("openinference.span.kind", "LLM")
                        .setAttribute("llm.provider", "openai")
                        .setAttribute("llm.system", "openai")
                        .setAttribute("llm.model_name", responseModel)
                        .setAttribute("llm.invocation_parameters", "{\"temperature\": 0.2}")
                        .setAttribute("llm.token_count.prompt", inputTokens)
                        .setAttribute("llm.token_count.completion", outputTokens)
                        .setAttribute("llm.token_count.total", inputTokens + outputTokens);
                int i = 0;
                for (Message message : prompt) {
                    span.setAttribute("llm.input_messages." + i + ".message.role", message.role());
                    span.setAttribute("llm.input_messages." + i + ".message.content", message.content());
                    i++;
                }
                span.setAttribute("llm.output_messages.0.message.role", "assistant");
                span.setAttribute("llm.output_messages.0.message.content", interaction.output());
                // The documents the prompt was grounded in, on the LLM span itself, so a span metric sees them.
                int d = 0;
                for (String id : interaction.documentIds()) {
                    span.setAttribute("retrieval.documents." + d + ".document.id", id);
                    span.setAttribute("retrieval.documents." + d + ".document.content", article(id).text());
                    d++;
                }
                return span;
            }
            case OPENLLMETRY -> {
                SpanBuilder span = tracer.spanBuilder("openai.chat").setSpanKind(SpanKind.CLIENT)
                        .setAttribute("llm.request.type", "chat")
                        .setAttribute("gen_ai.system", "openai")
                        .setAttribute("gen_ai.request.model", model)
                        .setAttribute("gen_ai.response.model", responseModel)
                        .setAttribute("gen_ai.request.temperature", 0.2)
                        .setAttribute("gen_ai.usage.prompt_tokens", inputTokens)
                        .setAttribute("gen_ai.usage.completion_tokens", outputTokens)
                        .setAttribute("llm.usage.total_tokens", inputTokens + outputTokens);
                int i = 0;
                for (Message message : prompt) {
                    span.setAttribute("gen_ai.prompt." + i + ".role", message.role());
                    span.setAttribute("gen_ai.prompt." + i + ".content", message.content());
                    i++;
                }
                span.setAttribute("gen_ai.completion.0.role", "assistant");
                span.setAttribute("gen_ai.completion.0.content", interaction.output());
                span.setAttribute("gen_ai.completion.0.finish_reason", "stop");
                return span;
            }
            default -> throw new IllegalStateException();
        }
    }

    /** The system prompt as the application sent it: its instructions, then the retrieved articles. */
    private String systemPrompt(Interaction interaction) {
        if (interaction.documentIds().isEmpty()) {
            return interaction.system();
        }
        StringBuilder text = new StringBuilder(interaction.system()).append("\n\nRetrieved knowledge-base articles:");
        for (String id : interaction.documentIds()) {
            Article article = article(id);
            text.append("\n\n[").append(article.title()).append("]\n").append(article.text());
        }
        return text.toString();
    }

    private Article article(String id) {
        Article article = articles.get(id);
        if (article == null) {
            throw new IllegalStateException("the dataset names an unknown article: " + id);
        }
        return article;
    }

    private static long tokens(String text) {
        return Math.max(1, (text.length() + 3) / 4);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tracing conventions the dataset names. */
    enum Convention {
        GENAI, OPENINFERENCE, OPENLLMETRY;

        static Convention of(String name) {
            return switch (name) {
                case "genai" -> GENAI;
                case "openinference" -> OPENINFERENCE;
                case "openllmetry" -> OPENLLMETRY;
                default -> throw new IllegalArgumentException("unknown convention " + name);
            };
        }

        /** The convention's session attribute. */
        void session(Span span, String sessionId) {
            switch (this) {
                case GENAI -> span.setAttribute("gen_ai.conversation.id", sessionId);
                case OPENINFERENCE -> span.setAttribute("session.id", sessionId);
                case OPENLLMETRY -> span.setAttribute("traceloop.association.properties.session_id", sessionId);
            }
        }
    }
}
