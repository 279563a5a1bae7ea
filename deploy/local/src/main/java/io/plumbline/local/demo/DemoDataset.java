package io.plumbline.local.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The demo's labelled dataset (Northwind Outfitters, {@code src/main/resources/demo/README.md}): the knowledge base and
 * the interactions with their expert labels and the scripted judge values.
 */
public record DemoDataset(Map<String, Article> articles, List<Interaction> interactions) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public record Article(String id, String title, String text) {
    }

    public record Message(String role, String content) {
    }

    public record ToolCall(String name, JsonNode arguments, JsonNode result) {
        public boolean failed() {
            return result != null && result.has("error");
        }
    }

    /** One label: the reviewer's value and critique, and what the stand-in judge answers for the same record. */
    public record Label(String metric, String reviewer, boolean expert, JsonNode judgeValue, String judgeReasoning,
            JsonNode value, String critique) {
        public boolean disagrees() {
            return !judgeValue.equals(value);
        }
    }

    public record Interaction(String id, String scenario, String convention, String sessionId, int turn,
            boolean sessionEnd, String model, String system, String input, List<Message> history,
            List<String> documentIds, List<ToolCall> toolCalls, String output, String failureMode, List<Label> labels) {

        public boolean support() {
            return "support".equals(scenario);
        }

        public boolean agent() {
            return "agent".equals(scenario);
        }
    }

    /** The dataset shipped in this module's resources. */
    public static DemoDataset load() {
        Map<String, Article> articles = new LinkedHashMap<>();
        for (JsonNode line : lines("demo/knowledge_base.jsonl")) {
            Article article = new Article(line.path("id").asText(), line.path("title").asText(), line.path("text").asText());
            articles.put(article.id(), article);
        }
        List<Interaction> interactions = new ArrayList<>();
        for (JsonNode line : lines("demo/interactions.jsonl")) {
            interactions.add(interaction(line));
        }
        return new DemoDataset(Map.copyOf(articles), List.copyOf(interactions));
    }

    private static Interaction interaction(JsonNode line) {
        List<Message> history = new ArrayList<>();
        for (JsonNode message : line.path("history")) {
            history.add(new Message(message.path("role").asText(), message.path("content").asText()));
        }
        List<String> documents = new ArrayList<>();
        for (JsonNode document : line.path("documents")) {
            documents.add(document.path("id").asText());
        }
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode call : line.path("tool_calls")) {
            calls.add(new ToolCall(call.path("name").asText(), call.path("arguments"), call.path("result")));
        }
        List<Label> labels = new ArrayList<>();
        for (JsonNode label : line.path("labels")) {
            labels.add(new Label(label.path("metric").asText(), label.path("reviewer").asText(),
                    label.path("expert").asBoolean(), label.path("judge").path("value"),
                    label.path("judge").path("reasoning").asText(), label.path("value"),
                    label.hasNonNull("critique") ? label.path("critique").asText() : null));
        }
        return new Interaction(line.path("id").asText(), line.path("scenario").asText(),
                line.path("convention").asText(), line.hasNonNull("session_id") ? line.path("session_id").asText() : null,
                line.path("turn").asInt(0), line.path("session_end").asBoolean(false), line.path("model").asText(),
                line.path("system").asText(), line.path("input").asText(), List.copyOf(history), List.copyOf(documents),
                List.copyOf(calls), line.path("output").asText(),
                line.hasNonNull("failure_mode") ? line.path("failure_mode").asText() : null, List.copyOf(labels));
    }

    private static List<JsonNode> lines(String resource) {
        InputStream stream = DemoDataset.class.getClassLoader().getResourceAsStream(resource);
        if (stream == null) {
            throw new IllegalStateException("The demo dataset is missing from the classpath: " + resource);
        }
        List<JsonNode> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + resource, e);
        }
        return lines;
    }

    /** Every label of every interaction, with its interaction. */
    public List<Map.Entry<Interaction, Label>> labels() {
        List<Map.Entry<Interaction, Label>> all = new ArrayList<>();
        for (Interaction interaction : interactions) {
            for (Label label : interaction.labels()) {
                all.add(Map.entry(interaction, label));
            }
        }
        return all;
    }
}
