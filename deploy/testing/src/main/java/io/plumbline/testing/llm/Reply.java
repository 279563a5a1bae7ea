package io.plumbline.testing.llm;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the stand-in answers to one request: a model answer (a judgment, JSON or raw text, in the protocol's envelope
 * with token usage) or a fault (an error status, a rate limit with {@code Retry-After}, no answer at all, a malformed
 * body, a dropped connection). Immutable; {@link #after(Duration)} and {@link #usage(long, long)} return copies.
 *
 * <pre>{@code
 * Reply.judgment(false, "States a dose without a disclaimer.")       // {"value":false,"reasoning":"..."}
 * Reply.text("I think it is fine")                                    // not JSON: a malformed judgment
 * Reply.rateLimited(Duration.ofSeconds(2))                            // 429, Retry-After: 2
 * Reply.status(503)                                                   // the provider's error body
 * Reply.noAnswer()                                                    // a timeout for the client
 * Reply.judgment(true, "ok").after(Duration.ofMillis(300))            // this answer 300 ms late
 * }</pre>
 */
public final class Reply {

    /** The key of the judged value in {@link #judgment}'s JSON. */
    public static final String VALUE = "value";
    /** The key of the reasoning in {@link #judgment}'s JSON. */
    public static final String REASONING = "reasoning";

    private static final ObjectMapper JSON = new ObjectMapper();

    enum Kind { CONTENT, ERROR, NO_ANSWER, RAW, DISCONNECT }

    final Kind kind;
    final String content;
    final int status;
    final Duration retryAfter;
    final String message;
    final String contentType;
    final Duration delay;
    final Long promptTokens;
    final Long completionTokens;
    final String finishReason;

    private Reply(Kind kind, String content, int status, Duration retryAfter, String message, String contentType,
            Duration delay, Long promptTokens, Long completionTokens, String finishReason) {
        this.kind = kind;
        this.content = content;
        this.status = status;
        this.retryAfter = retryAfter;
        this.message = message;
        this.contentType = contentType;
        this.delay = delay;
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
        this.finishReason = finishReason;
    }

    private static Reply content(String content) {
        return new Reply(Kind.CONTENT, content, 200, null, null, null, null, null, null, null);
    }

    /**
     * The judge's structured answer {@code {"value": <value>, "reasoning": "<reasoning>"}}: {@code value} is a
     * Boolean, a Number or a String (a categorical label). Sent as the message content, or as the forced tool's
     * input when the request forces a tool.
     */
    public static Reply judgment(Object value, String reasoning) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put(VALUE, value);
        answer.put(REASONING, reasoning);
        try {
            return content(JSON.writeValueAsString(answer));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("value must be a Boolean, a Number or a String", e);
        }
    }

    /** The message content is this JSON text, as given (valid or not). */
    public static Reply json(String json) {
        return content(json);
    }

    /** The message content is this raw text. */
    public static Reply text(String text) {
        return content(text);
    }

    /** HTTP 429 with the provider's rate-limit error body and {@code Retry-After} (whole seconds, rounded up). */
    public static Reply rateLimited(Duration retryAfter) {
        return new Reply(Kind.ERROR, null, 429, retryAfter, "Rate limit reached (stand-in)", null, null, null, null, null);
    }

    /** An error status (400-599) with the provider's error body. */
    public static Reply status(int status) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status is 400-599: " + status);
        }
        return new Reply(Kind.ERROR, null, status, null, "Error " + status + " (stand-in)", null, null, null, null, null);
    }

    /** HTTP 500. */
    public static Reply serverError() {
        return status(500);
    }

    /** Never answers: the client times out. The connection is released by {@link LlmStandIn#reset()} or close. */
    public static Reply noAnswer() {
        return new Reply(Kind.NO_ANSWER, null, 0, null, null, null, null, null, null, null);
    }

    /** HTTP 200 whose body is not valid JSON (a cut-off completion). */
    public static Reply malformedBody() {
        return raw(200, "application/json", "{\"id\":\"chatcmpl-cut\",\"object\":\"chat.completion\",\"choices\":[{\"ind");
    }

    /** Exactly this status, content type and body, with no envelope. */
    public static Reply raw(int status, String contentType, String body) {
        return new Reply(Kind.RAW, body, status, null, null, contentType, null, null, null, null);
    }

    /** Closes the connection without an answer (a reset for the client). */
    public static Reply disconnect() {
        return new Reply(Kind.DISCONNECT, null, 0, null, null, null, null, null, null, null);
    }

    /** This reply after {@code delay}, instead of the stand-in's {@link Latency}. */
    public Reply after(Duration delay) {
        return new Reply(kind, content, status, retryAfter, message, contentType, delay, promptTokens, completionTokens,
                finishReason);
    }

    /** Report these token counts instead of the estimate (characters / 4). */
    public Reply usage(long promptTokens, long completionTokens) {
        return new Reply(kind, content, status, retryAfter, message, contentType, delay, promptTokens, completionTokens,
                finishReason);
    }

    /** Report this finish reason ({@code stop} / {@code end_turn} by default), for example {@code length}. */
    public Reply finishReason(String finishReason) {
        return new Reply(kind, content, status, retryAfter, message, contentType, delay, promptTokens, completionTokens,
                finishReason);
    }

    /** The message content of a model answer; null for faults. */
    public String content() {
        return kind == Kind.CONTENT ? content : null;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case CONTENT -> "content " + content;
            case ERROR -> "status " + status + (retryAfter != null ? " retry-after " + retryAfter : "");
            case NO_ANSWER -> "no answer";
            case RAW -> "raw " + status + " " + content;
            case DISCONNECT -> "disconnect";
        } + (delay != null ? " after " + delay : "");
    }
}
