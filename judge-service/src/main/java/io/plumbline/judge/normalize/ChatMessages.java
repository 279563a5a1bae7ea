package io.plumbline.judge.normalize;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.ToolCall;

/**
 * Messages from the JSON shapes traced applications write: OpenTelemetry GenAI messages of typed parts
 * ({@code {"role":"user","parts":[{"type":"text","content":"..."}]}}), OpenAI chat messages ({@code content} as text or
 * parts, {@code tool_calls}, {@code function_call}), and Anthropic content blocks ({@code text}, {@code tool_use},
 * {@code tool_result}). Non-text parts become a placeholder such as {@code [image]}.
 */
final class ChatMessages {

    private ChatMessages() {
    }

    /** True when {@code node} looks like a message list (an array of objects with a role) or one message. */
    static boolean isMessages(JsonNode node) {
        if (node.isObject()) {
            return node.has("role");
        }
        if (!node.isArray() || node.isEmpty()) {
            return false;
        }
        for (JsonNode item : node) {
            if (!item.isObject() || !item.has("role")) {
                return false;
            }
        }
        return true;
    }

    /** The messages of a list (or of one message object); items that are not messages are skipped. */
    static List<ChatMessage.Builder> parse(JsonNode node, boolean output) {
        List<ChatMessage.Builder> messages = new ArrayList<>();
        if (node.isObject()) {
            messages.add(parseOne(node, output));
        } else if (node.isArray()) {
            for (JsonNode item : node) {
                if (item.isObject()) {
                    messages.add(parseOne(item, output));
                }
            }
        }
        return messages;
    }

    private static ChatMessage.Builder parseOne(JsonNode node, boolean output) {
        ChatMessage.Builder message = ChatMessage.newBuilder().setIsOutput(output);
        role(message, node.path("role").asText(output ? "assistant" : ""));
        List<String> texts = new ArrayList<>();
        JsonNode parts = node.has("parts") ? node.get("parts") : node.get("content");
        if (parts != null && !parts.isNull()) {
            if (parts.isTextual()) {
                texts.add(contentText(parts.asText()));
            } else if (parts.isArray()) {
                for (JsonNode part : parts) {
                    readPart(message, part, texts);
                }
            } else {
                texts.add(parts.toString());
            }
        }
        message.setContent(String.join("\n", texts));
        for (JsonNode call : node.path("tool_calls")) {
            JsonNode function = call.path("function");
            message.addToolCalls(ToolCall.newBuilder().setId(call.path("id").asText(""))
                    .setName(function.path("name").asText(call.path("name").asText("")))
                    .setArguments(argumentsText(function.has("arguments") ? function.get("arguments") : call.get("arguments"))));
        }
        if (node.has("function_call")) {
            JsonNode call = node.get("function_call");
            message.addToolCalls(ToolCall.newBuilder().setName(call.path("name").asText(""))
                    .setArguments(argumentsText(call.get("arguments"))));
        }
        if (node.hasNonNull("tool_call_id")) {
            message.setToolCallId(node.get("tool_call_id").asText());
        }
        if (node.hasNonNull("name")) {
            message.setName(node.get("name").asText());
        }
        if (node.hasNonNull("finish_reason")) {
            message.setFinishReason(node.get("finish_reason").asText());
        }
        return message;
    }

    private static void readPart(ChatMessage.Builder message, JsonNode part, List<String> texts) {
        if (part.isTextual()) {
            texts.add(part.asText());
            return;
        }
        String type = part.path("type").asText("text");
        switch (type) {
            case "text", "input_text", "output_text" -> texts.add(part.has("content") ? part.path("content").asText()
                    : part.path("text").asText());
            case "tool_call", "tool_use", "function_call" -> message.addToolCalls(ToolCall.newBuilder()
                    .setId(part.path("id").asText(""))
                    .setName(part.path("name").asText(""))
                    .setArguments(argumentsText(part.has("arguments") ? part.get("arguments") : part.get("input"))));
            case "tool_call_response", "tool_result" -> {
                String id = part.has("id") ? part.path("id").asText() : part.path("tool_use_id").asText("");
                if (!id.isEmpty()) {
                    message.setToolCallId(id.strip());
                }
                JsonNode result = part.has("response") ? part.get("response")
                        : part.has("result") ? part.get("result") : part.get("content");
                texts.add(result == null ? "" : result.isTextual() ? result.asText() : result.toString());
            }
            case "reasoning", "thinking" -> { }
            case "image_url", "image", "input_image" -> texts.add("[image]");
            case "input_audio", "audio" -> texts.add("[audio]");
            default -> texts.add("[" + (part.hasNonNull("modality") ? part.get("modality").asText() : type) + "]");
        }
    }

    /** Tool arguments as text: a string as is, an object as JSON. */
    static String argumentsText(JsonNode arguments) {
        if (arguments == null || arguments.isNull() || arguments.isMissingNode()) {
            return "";
        }
        return arguments.isTextual() ? arguments.asText() : arguments.toString();
    }

    /**
     * Message content that is itself a JSON list of text parts (OpenLLMetry writes multimodal content this way)
     * becomes the joined text; any other content stays as it is.
     */
    static String contentText(String content) {
        String trimmed = content.strip();
        if (trimmed.startsWith("[{") && trimmed.endsWith("}]")) {
            JsonNode parts = AttributeValues.parseIfJson(trimmed);
            if (parts.isArray()) {
                List<String> texts = new ArrayList<>();
                for (JsonNode part : parts) {
                    if (!part.isObject() || !part.has("type")) {
                        return content;
                    }
                    String type = part.get("type").asText();
                    if (type.equals("text")) {
                        texts.add(part.path("text").asText(part.path("content").asText("")));
                    } else if (type.startsWith("image")) {
                        texts.add("[image]");
                    } else {
                        texts.add("[" + type + "]");
                    }
                }
                return String.join("\n", texts);
            }
        }
        return content;
    }

    /** Sets the normalized role and, when the traced name differs from the normalized one, the original name. */
    static void role(ChatMessage.Builder message, String traced) {
        String name = traced.toLowerCase(Locale.ROOT).strip();
        MessageRole role = switch (name) {
            case "system", "developer" -> MessageRole.MESSAGE_ROLE_SYSTEM;
            case "user", "human" -> MessageRole.MESSAGE_ROLE_USER;
            case "assistant", "ai", "model", "bot" -> MessageRole.MESSAGE_ROLE_ASSISTANT;
            case "tool", "function", "ipython" -> MessageRole.MESSAGE_ROLE_TOOL;
            case "" -> MessageRole.MESSAGE_ROLE_UNSPECIFIED;
            default -> MessageRole.MESSAGE_ROLE_OTHER;
        };
        message.setRole(role);
        boolean canonical = switch (role) {
            case MESSAGE_ROLE_SYSTEM -> name.equals("system");
            case MESSAGE_ROLE_USER -> name.equals("user");
            case MESSAGE_ROLE_ASSISTANT -> name.equals("assistant");
            case MESSAGE_ROLE_TOOL -> name.equals("tool");
            default -> name.isEmpty();
        };
        if (!canonical) {
            message.setRoleName(traced);
        }
    }
}
