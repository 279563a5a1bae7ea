package io.plumbline.local.demo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.opentelemetry.sdk.trace.IdGenerator;

/**
 * Deterministic trace, span and session ids of the demo traffic: a hash of the demo run's salt, the interaction and the
 * span's role in it. The label import names records by these ids ({@code <trace_id>/<span_id>} for a span,
 * {@code <trace_id>} for a trace, the session id for a session), so it needs no lookup of what the judge stored.
 *
 * <p>As the SDK's {@link IdGenerator}: the thread that starts a span says first which span it is
 * ({@link #next(String, String)}); a span started without that gets a random id.
 */
public final class DemoIds implements IdGenerator {

    /** Span roles within an interaction. */
    public static final String ROOT = "root";
    public static final String RETRIEVAL = "retrieval";
    public static final String LLM = "llm";

    private final String salt;
    private final ThreadLocal<String[]> next = new ThreadLocal<>();

    public DemoIds(String salt) {
        this.salt = salt;
    }

    public String salt() {
        return salt;
    }

    /** The ids of the next span started on this thread: interaction {@code interactionId}, role {@code role}. */
    public void next(String interactionId, String role) {
        next.set(new String[]{interactionId, role});
    }

    public String traceId(String interactionId) {
        return hex(salt + "/" + interactionId, 16);
    }

    public String spanId(String interactionId, String role) {
        return hex(salt + "/" + interactionId + "/" + role, 8);
    }

    /** The span record id the judge gives the interaction's LLM span. */
    public String llmSpanRecordId(String interactionId) {
        return traceId(interactionId) + "/" + spanId(interactionId, LLM);
    }

    /** The session id of a dataset session in this demo run (a second run makes new sessions). */
    public String sessionId(String datasetSessionId) {
        return datasetSessionId + "-" + salt;
    }

    /** Role of the n-th (1-based) tool call. */
    public static String tool(int n) {
        return "tool-" + n;
    }

    @Override
    public String generateSpanId() {
        String[] current = next.get();
        return current == null ? IdGenerator.random().generateSpanId() : spanId(current[0], current[1]);
    }

    @Override
    public String generateTraceId() {
        String[] current = next.get();
        return current == null ? IdGenerator.random().generateTraceId() : traceId(current[0]);
    }

    private static String hex(String key, int bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            byte[] id = java.util.Arrays.copyOf(digest, bytes);
            id[0] |= 1; // never the all-zero (invalid) id
            return HexFormat.of().formatHex(id);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
