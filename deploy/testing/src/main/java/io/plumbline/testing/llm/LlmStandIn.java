package io.plumbline.testing.llm;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

/**
 * The LLM provider of tests and of the local stack without a real model: a local HTTP server speaking OpenAI chat
 * completions ({@code POST /v1/chat/completions}, structured output through {@code response_format} or a forced tool)
 * and Anthropic Messages ({@code POST /v1/messages}), answering from rules.
 *
 * <pre>{@code
 * try (LlmStandIn llm = LlmStandIn.start()) {
 *     llm.byDefault(Reply.judgment(true, "Grounded in the documents."));
 *     llm.when(Match.contentContains("ibuprofen")).reply(Reply.judgment(false, "Dose without a disclaimer."));
 *     llm.always().times(3).reply(Reply.rateLimited(Duration.ofSeconds(1)));   // the next 3 requests: 429
 *     llm.latency(Latency.fixed(Duration.ofMillis(300)));
 *     // point the client at llm.baseUrl() ("http://127.0.0.1:<port>/v1") ...
 *     List<LlmRequest> sent = llm.awaitRequests(4, Duration.ofSeconds(10));
 *     assertEquals("gpt-4o-mini", sent.get(0).model());
 * }
 * }</pre>
 *
 * <p>Rules are tried newest first; the first that matches and has uses left answers, else the default. Every request
 * is recorded (method, path, headers, raw and parsed body) before it is answered, malformed ones included. A request
 * a real provider would refuse (not JSON, no {@code model}, no {@code messages}, Anthropic without
 * {@code max_tokens}) gets the provider's 400; {@code stream: true} gets a 400 too (not supported).
 *
 * <p>Non-blocking: one Vert.x event loop serves every connection and a delayed answer is a timer, so thousands of
 * concurrent slow requests hold no thread. Thread-safe: rules, latency and the default can change while requests
 * run.
 */
public final class LlmStandIn implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Reply INITIAL_DEFAULT = Reply.judgment(true, "The stand-in's default judgment.");

    private final Vertx vertx;
    private final HttpServer server;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final List<LlmRequest> requests = new ArrayList<>();
    private final Set<HttpServerRequest> unanswered = ConcurrentHashMap.newKeySet();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile Reply defaultReply = INITIAL_DEFAULT;
    private volatile Latency latency = Latency.none();
    private volatile boolean keepRequests = true;

    private LlmStandIn(int port) {
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(port).setAcceptBacklog(4096)
                .setCompressionSupported(false).setMaxInitialLineLength(8192);
        this.server = vertx.createHttpServer(options).requestHandler(this::handle);
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("The LLM stand-in could not listen on 127.0.0.1:" + port, e);
        }
    }

    /**
     * Runs a stand-in as a process of its own (the local stack without a real model): {@code LlmStandIn [port]}
     * (default 0: a free port) prints its base URL and answers every request with the default judgment until the
     * process is stopped.
     */
    public static void main(String[] args) throws InterruptedException {
        LlmStandIn llm = start(args.length > 0 ? Integer.parseInt(args[0]) : 0);
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            llm.close();
            stopped.countDown();
        }, "llm-stand-in-stop"));
        System.out.println("LLM stand-in listening: " + llm.baseUrl());
        stopped.await();
    }

    /** Starts a stand-in on a free port of 127.0.0.1. */
    public static LlmStandIn start() {
        return new LlmStandIn(0);
    }

    /** Starts a stand-in on {@code port} of 127.0.0.1 (0: a free one). */
    public static LlmStandIn start(int port) {
        return new LlmStandIn(port);
    }

    /**
     * The base URL to give an OpenAI-compatible or Anthropic client: {@code http://127.0.0.1:<port>/v1} (clients append
     * {@code /chat/completions} or {@code /messages}).
     */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    public int port() {
        return server.actualPort();
    }

    // ------------------------------------------------------------------------------------------------ configuration

    /** A rule for the requests {@code match} accepts; finish it with {@link RuleBuilder#reply(Reply)}. */
    public RuleBuilder when(Predicate<LlmRequest> match) {
        return new RuleBuilder(Objects.requireNonNull(match));
    }

    /** A rule for every request (with {@link RuleBuilder#times(int)}: the next n requests). */
    public RuleBuilder always() {
        return when(Match.any());
    }

    /** The answer when no rule matches (initially a judgment {@code true}). */
    public LlmStandIn byDefault(Reply reply) {
        this.defaultReply = Objects.requireNonNull(reply);
        return this;
    }

    /** The delay of every answer without a delay of its own (initially none). */
    public LlmStandIn latency(Latency latency) {
        this.latency = Objects.requireNonNull(latency);
        return this;
    }

    /**
     * Back to the start: no rules, the initial default and latency, no recorded requests, sequence from 1; requests
     * left without an answer are closed.
     */
    public void reset() {
        rules.clear();
        defaultReply = INITIAL_DEFAULT;
        latency = Latency.none();
        synchronized (requests) {
            requests.clear();
            sequence.set(0);
        }
        releaseUnanswered();
        maxInFlight.set(inFlight.get());
    }

    /**
     * Whether received requests are kept for {@link #requests()} (the default): a load test that sends tens of
     * thousands turns it off, so that the stand-in does not hold them all in the heap it measures.
     */
    public LlmStandIn keepRequests(boolean keep) {
        this.keepRequests = keep;
        return this;
    }

    /** Removes one rule. */
    public void remove(Rule rule) {
        rules.remove(rule);
    }

    // ------------------------------------------------------------------------------------------------ observation

    /** Every request received since start or {@link #reset()}, in arrival order. */
    public List<LlmRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** The requests {@code match} accepts, in arrival order. */
    public List<LlmRequest> requests(Predicate<LlmRequest> match) {
        return requests().stream().filter(match).toList();
    }

    /** The last request received; throws if there is none. */
    public LlmRequest lastRequest() {
        synchronized (requests) {
            if (requests.isEmpty()) {
                throw new AssertionError("The LLM stand-in received no request");
            }
            return requests.get(requests.size() - 1);
        }
    }

    /** Waits until at least {@code count} requests arrived; returns them all, or throws {@link AssertionError}. */
    public List<LlmRequest> awaitRequests(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (requests) {
            while (requests.size() < count) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new AssertionError("The LLM stand-in received " + requests.size() + " of " + count
                            + " request(s) within " + timeout);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(requests, remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("Interrupted", e);
                }
            }
            return List.copyOf(requests);
        }
    }

    /** Requests received and not answered yet (delayed or never answered). */
    public int inFlight() {
        return inFlight.get();
    }

    /** The most requests in flight at once since start or {@link #reset()}. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    /** Stops the server; open connections are closed. */
    @Override
    public void close() {
        releaseUnanswered();
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // closing anyway
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    // ------------------------------------------------------------------------------------------------ serving

    private void handle(HttpServerRequest request) {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        request.body().onComplete(body -> {
            if (body.failed()) {
                finish();
                return;
            }
            try {
                serve(request, body.result());
            } catch (RuntimeException e) {
                send(request, 500, "application/json", error(Protocol.OPENAI_CHAT, 500, "stand-in failure: " + e), null);
            }
        });
    }

    private void serve(HttpServerRequest http, Buffer buffer) {
        String raw = buffer.toString(StandardCharsets.UTF_8);
        JsonNode body;
        try {
            body = raw.isBlank() ? null : JSON.readTree(raw);
        } catch (Exception e) {
            body = null;
        }
        String path = http.path();
        Protocol protocol = path.endsWith("/chat/completions") ? Protocol.OPENAI_CHAT
                : path.endsWith("/messages") ? Protocol.ANTHROPIC_MESSAGES : null;
        LlmRequest request = record(protocol, http, raw, body);

        if (protocol == null || http.method() != io.vertx.core.http.HttpMethod.POST) {
            send(http, 404, "application/json", error(Protocol.OPENAI_CHAT, 404, "Unknown path " + http.method() + " " + path), null);
            return;
        }
        String refusal = refusal(protocol, body);
        if (refusal != null) {
            send(http, 400, "application/json", error(protocol, 400, refusal), null);
            return;
        }
        Reply reply = choose(request);
        Duration delay = reply.delay != null ? reply.delay : latency.next();
        if (reply.kind == Reply.Kind.NO_ANSWER) {
            unanswered.add(http);
            http.connection().closeHandler(v -> {
                if (unanswered.remove(http)) {
                    finish();
                }
            });
            return;
        }
        if (delay.isZero() || delay.isNegative()) {
            answer(http, request, reply);
        } else {
            vertx.setTimer(Math.max(1, delay.toMillis()), id -> answer(http, request, reply));
        }
    }

    private LlmRequest record(Protocol protocol, HttpServerRequest http, String raw, JsonNode body) {
        Map<String, List<String>> headers = new TreeMap<>();
        for (Map.Entry<String, String> header : http.headers()) {
            headers.computeIfAbsent(header.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(header.getValue());
        }
        headers.replaceAll((k, v) -> List.copyOf(v));
        synchronized (requests) {
            LlmRequest request = new LlmRequest(sequence.incrementAndGet(), Instant.now(), protocol, http.method().name(),
                    http.path(), Collections.unmodifiableMap(headers), raw, body);
            if (keepRequests) {
                requests.add(request);
            }
            requests.notifyAll();
            return request;
        }
    }

    private static String refusal(Protocol protocol, JsonNode body) {
        if (body == null || !body.isObject()) {
            return "We could not parse the JSON body of your request.";
        }
        if (!body.path("model").isTextual()) {
            return "'model' is a required property";
        }
        if (!body.path("messages").isArray()) {
            return "'messages' is a required property";
        }
        if (protocol == Protocol.ANTHROPIC_MESSAGES && !body.path("max_tokens").canConvertToInt()) {
            return "max_tokens: Field required";
        }
        if (body.path("stream").asBoolean(false)) {
            return "stream: streaming is not supported by the Plumbline LLM stand-in";
        }
        return null;
    }

    private Reply choose(LlmRequest request) {
        List<Rule> snapshot = List.copyOf(rules);
        for (int i = snapshot.size() - 1; i >= 0; i--) {
            Rule rule = snapshot.get(i);
            if (rule.match.test(request) && rule.claim()) {
                return rule.reply;
            }
        }
        return defaultReply;
    }

    private void answer(HttpServerRequest http, LlmRequest request, Reply reply) {
        switch (reply.kind) {
            case CONTENT -> send(http, 200, "application/json",
                    request.protocol() == Protocol.ANTHROPIC_MESSAGES ? anthropicMessage(request, reply) : openAiCompletion(request, reply),
                    null);
            case ERROR -> send(http, reply.status, "application/json", error(request.protocol(), reply.status, reply.message),
                    reply.retryAfter);
            case RAW -> send(http, reply.status, reply.contentType, reply.content, null);
            case DISCONNECT -> {
                finish();
                http.connection().close();
            }
            case NO_ANSWER -> throw new IllegalStateException("handled before");
        }
    }

    private void send(HttpServerRequest http, int status, String contentType, String body, Duration retryAfter) {
        finish();
        var response = http.response().setStatusCode(status);
        if (contentType != null) {
            response.putHeader("content-type", contentType);
        }
        response.putHeader("x-request-id", "req_standin_" + sequence.get());
        if (retryAfter != null) {
            response.putHeader("retry-after", String.valueOf((retryAfter.toMillis() + 999) / 1000));
            response.putHeader("retry-after-ms", String.valueOf(retryAfter.toMillis()));
        }
        response.end(body == null ? "" : body);
    }

    private void finish() {
        inFlight.decrementAndGet();
    }

    private void releaseUnanswered() {
        for (HttpServerRequest request : List.copyOf(unanswered)) {
            HttpConnection connection = request.connection();
            vertx.runOnContext(v -> connection.close());
        }
    }

    // ------------------------------------------------------------------------------------------------ wire formats

    private static String openAiCompletion(LlmRequest request, Reply reply) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "chatcmpl-standin-" + request.sequence());
        root.put("object", "chat.completion");
        root.put("created", request.receivedAt().getEpochSecond());
        root.put("model", request.model());
        root.put("system_fingerprint", "fp_plumbline_standin");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        String tool = request.forcedTool();
        if (tool != null) {
            message.putNull("content");
            ObjectNode call = message.putArray("tool_calls").addObject();
            call.put("id", "call_standin_" + request.sequence());
            call.put("type", "function");
            call.putObject("function").put("name", tool).put("arguments", reply.content);
            choice.put("finish_reason", reply.finishReason != null ? reply.finishReason : "tool_calls");
        } else {
            message.put("content", reply.content);
            choice.put("finish_reason", reply.finishReason != null ? reply.finishReason : "stop");
        }
        message.putNull("refusal");
        message.putArray("annotations");
        choice.putNull("logprobs");
        long prompt = reply.promptTokens != null ? reply.promptTokens : estimateTokens(request.messagesText());
        long completion = reply.completionTokens != null ? reply.completionTokens : estimateTokens(reply.content);
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        usage.putObject("prompt_tokens_details").put("cached_tokens", 0);
        usage.putObject("completion_tokens_details").put("reasoning_tokens", 0);
        return root.toString();
    }

    private static String anthropicMessage(LlmRequest request, Reply reply) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "msg_standin_" + request.sequence());
        root.put("type", "message");
        root.put("role", "assistant");
        root.put("model", request.model());
        ArrayNode content = root.putArray("content");
        String tool = request.forcedTool();
        JsonNode toolInput = tool == null ? null : parseOrNull(reply.content);
        if (toolInput != null && toolInput.isObject()) {
            ObjectNode use = content.addObject();
            use.put("type", "tool_use");
            use.put("id", "toolu_standin_" + request.sequence());
            use.put("name", tool);
            use.set("input", toolInput);
            root.put("stop_reason", reply.finishReason != null ? reply.finishReason : "tool_use");
        } else {
            content.addObject().put("type", "text").put("text", reply.content);
            root.put("stop_reason", reply.finishReason != null ? reply.finishReason : "end_turn");
        }
        root.putNull("stop_sequence");
        long prompt = reply.promptTokens != null ? reply.promptTokens : estimateTokens(request.messagesText());
        long completion = reply.completionTokens != null ? reply.completionTokens : estimateTokens(reply.content);
        root.putObject("usage").put("input_tokens", prompt).put("output_tokens", completion);
        return root.toString();
    }

    private static String error(Protocol protocol, int status, String message) {
        if (protocol == Protocol.ANTHROPIC_MESSAGES) {
            String type = switch (status) {
                case 400 -> "invalid_request_error";
                case 401 -> "authentication_error";
                case 404 -> "not_found_error";
                case 429 -> "rate_limit_error";
                case 529 -> "overloaded_error";
                default -> "api_error";
            };
            ObjectNode root = JSON.createObjectNode().put("type", "error");
            root.putObject("error").put("type", type).put("message", message);
            return root.toString();
        }
        String type = switch (status) {
            case 400, 404 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 429 -> "requests";
            default -> "server_error";
        };
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putObject("error").put("message", message).put("type", type);
        error.putNull("param");
        if (status == 429) {
            error.put("code", "rate_limit_exceeded");
        } else {
            error.putNull("code");
        }
        return root.toString();
    }

    private static JsonNode parseOrNull(String text) {
        try {
            return text == null ? null : JSON.readTree(text);
        } catch (Exception e) {
            return null;
        }
    }

    /** About four characters per token, at least one. */
    static long estimateTokens(String text) {
        return text == null || text.isEmpty() ? 1 : Math.max(1, (text.length() + 3) / 4);
    }

    // ------------------------------------------------------------------------------------------------ rules

    /** A rule being defined: {@code llm.when(match).times(2).reply(reply)}. */
    public final class RuleBuilder {
        private final Predicate<LlmRequest> match;
        private int times = -1;

        private RuleBuilder(Predicate<LlmRequest> match) {
            this.match = match;
        }

        /** Answer only the next {@code n} matching requests, then step aside. */
        public RuleBuilder times(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("times must be >= 1");
            }
            this.times = n;
            return this;
        }

        /** Adds the rule; it takes precedence over the rules added before it. */
        public Rule reply(Reply reply) {
            Rule rule = new Rule(match, Objects.requireNonNull(reply), times);
            rules.add(rule);
            return rule;
        }
    }

    /** A rule in force: how often it answered, how many uses it has left. */
    public static final class Rule {
        private final Predicate<LlmRequest> match;
        private final Reply reply;
        private final AtomicInteger remaining;
        private final AtomicInteger hits = new AtomicInteger();

        private Rule(Predicate<LlmRequest> match, Reply reply, int times) {
            this.match = match;
            this.reply = reply;
            this.remaining = new AtomicInteger(times);
        }

        private boolean claim() {
            while (true) {
                int left = remaining.get();
                if (left == 0) {
                    return false;
                }
                if (left < 0 || remaining.compareAndSet(left, left - 1)) {
                    hits.incrementAndGet();
                    return true;
                }
            }
        }

        /** Requests this rule answered. */
        public int hits() {
            return hits.get();
        }

        /** Uses left; -1 for unlimited. */
        public int remaining() {
            return remaining.get();
        }
    }
}
