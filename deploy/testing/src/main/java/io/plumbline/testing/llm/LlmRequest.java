package io.plumbline.testing.llm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One request the stand-in received, as the provider would have parsed it: protocol, path, headers (names in lower
 * case), the raw body and its JSON. Rules match on it; tests assert on it.
 */
public final class LlmRequest {

    private final long sequence;
    private final Instant receivedAt;
    private final Protocol protocol;
    private final String method;
    private final String path;
    private final Map<String, List<String>> headers;
    private final String rawBody;
    private final JsonNode body;

    LlmRequest(long sequence, Instant receivedAt, Protocol protocol, String method, String path,
            Map<String, List<String>> headers, String rawBody, JsonNode body) {
        this.sequence = sequence;
        this.receivedAt = receivedAt;
        this.protocol = protocol;
        this.method = method;
        this.path = path;
        this.headers = headers;
        this.rawBody = rawBody;
        this.body = body;
    }

    /** 1 for the first request since start or {@link LlmStandIn#reset()}, then 2, 3, ... */
    public long sequence() {
        return sequence;
    }

    public Instant receivedAt() {
        return receivedAt;
    }

    /** The protocol of the path; null for a path the stand-in does not serve. */
    public Protocol protocol() {
        return protocol;
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** Every header, names in lower case. */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /** The first value of a header (case-insensitive), or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    public String rawBody() {
        return rawBody;
    }

    /** The parsed body; null when it was not JSON. Use {@code body().at("/messages/0/content")} to reach into it. */
    public JsonNode body() {
        return body;
    }

    /** The requested model, or null. */
    public String model() {
        return text(body == null ? null : body.get("model"));
    }

    /**
     * The system instructions: OpenAI {@code system} / {@code developer} messages, Anthropic's {@code system}; joined by
     * blank lines.
     */
    public String systemText() {
        List<String> parts = new ArrayList<>();
        if (body == null) {
            return "";
        }
        if (protocol == Protocol.ANTHROPIC_MESSAGES) {
            String system = contentText(body.get("system"));
            if (!system.isEmpty()) {
                parts.add(system);
            }
        } else {
            for (JsonNode message : body.path("messages")) {
                String role = message.path("role").asText();
                if (role.equals("system") || role.equals("developer")) {
                    parts.add(contentText(message.get("content")));
                }
            }
        }
        return String.join("\n\n", parts);
    }

    /** The text of the last {@code user} message, or "". */
    public String lastUserText() {
        String last = "";
        if (body != null) {
            for (JsonNode message : body.path("messages")) {
                if ("user".equals(message.path("role").asText())) {
                    last = contentText(message.get("content"));
                }
            }
        }
        return last;
    }

    /** Every message's text and the system instructions, one per line: what content rules match on. */
    public String messagesText() {
        StringBuilder text = new StringBuilder(systemText());
        if (body != null) {
            for (JsonNode message : body.path("messages")) {
                String role = message.path("role").asText();
                if (protocol == Protocol.ANTHROPIC_MESSAGES || !(role.equals("system") || role.equals("developer"))) {
                    if (!text.isEmpty()) {
                        text.append('\n');
                    }
                    text.append(contentText(message.get("content")));
                }
            }
        }
        return text.toString();
    }

    /**
     * The JSON schema the answer must follow: OpenAI {@code response_format.json_schema.schema}, Anthropic
     * {@code output_format.schema}, or the input schema of a forced tool; null when the request asks for none.
     */
    public JsonNode responseSchema() {
        if (body == null) {
            return null;
        }
        JsonNode schema = body.at("/response_format/json_schema/schema");
        if (!schema.isMissingNode()) {
            return schema;
        }
        schema = body.at("/output_format/schema");
        if (!schema.isMissingNode()) {
            return schema;
        }
        String tool = forcedTool();
        if (tool != null) {
            for (JsonNode t : body.path("tools")) {
                if (tool.equals(t.path("name").asText()) && t.has("input_schema")) {
                    return t.get("input_schema");
                }
                if (tool.equals(t.at("/function/name").asText()) && !t.at("/function/parameters").isMissingNode()) {
                    return t.at("/function/parameters");
                }
            }
        }
        return null;
    }

    /** The name of the tool the request forces the model to call, or null. */
    public String forcedTool() {
        if (body == null) {
            return null;
        }
        JsonNode choice = body.get("tool_choice");
        if (choice == null || !choice.isObject()) {
            return null;
        }
        if (protocol == Protocol.ANTHROPIC_MESSAGES) {
            return "tool".equals(choice.path("type").asText()) ? text(choice.get("name")) : null;
        }
        return "function".equals(choice.path("type").asText()) ? text(choice.at("/function/name")) : null;
    }

    /** True when {@link #messagesText()} contains {@code text}. */
    public boolean contains(String text) {
        return messagesText().contains(text);
    }

    /** The text of a message content: a string, or the {@code text} of its text parts joined by newlines. */
    static String contentText(JsonNode content) {
        if (content == null || content.isNull() || content.isMissingNode()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            List<String> texts = new ArrayList<>();
            for (JsonNode part : content) {
                if (part.isTextual()) {
                    texts.add(part.asText());
                } else if (part.has("text")) {
                    texts.add(part.get("text").asText());
                }
            }
            return String.join("\n", texts);
        }
        return content.toString();
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node.asText();
    }

    @Override
    public String toString() {
        return "#" + sequence + " " + method + " " + path + " " + (rawBody.length() > 200 ? rawBody.substring(0, 200) + "..." : rawBody);
    }
}
