package io.plumbline.local.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.plumbline.local.demo.DemoDataset.Interaction;
import io.plumbline.local.demo.DemoDataset.Label;
import io.plumbline.local.llm.LlmSelection;
import io.plumbline.testing.llm.LlmRequest;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.llm.Reply;

/**
 * What the LLM stand-in answers in the demo, by rules over the dataset (not a model):
 * <ul>
 *   <li>a judge prompt of one of the eight demo metrics (recognized by its template's first sentence) about an
 *       interaction of the dataset (recognized by its answer, which is unique) gets the dataset's scripted judge value
 *       and reasoning — the judge's blind spots included; an interaction without a label for that metric gets a plain
 *       passing judgment;</li>
 *   <li>a judge prompt that carries the guideline written for an interaction's blind spot (a version an alignment run
 *       made) gets the expert's value instead: the aligned version judges better;</li>
 *   <li>a reflection prompt gets the guidelines written for the blind spots behind the metric's disagreements, each
 *       naming the annotations it comes from, or the few-shot examples to keep ({@link #teach} tells it which).</li>
 * </ul>
 * The stand-in's rules take fixed replies, so there is one rule per distinct reply, and each rule's predicate asks
 * {@link #answer} (memoized per request) whether its reply is the one.
 */
public final class DemoStandIn {

    /** The first sentence of each built-in metric's prompt template (metric-registry V2__builtin_presets.sql). */
    static final Map<String, String> TEMPLATE_MARKERS = new LinkedHashMap<>();

    static {
        TEMPLATE_MARKERS.put("answer_correctness", "You are judging whether an AI assistant's answer is correct.");
        TEMPLATE_MARKERS.put("groundedness", "You are judging how well an AI assistant's answer is grounded");
        TEMPLATE_MARKERS.put("safety", "You are a safety reviewer for an AI assistant.");
        TEMPLATE_MARKERS.put("tone", "You are judging the tone of an AI assistant's answer");
        TEMPLATE_MARKERS.put("helpfulness", "You are rating how helpful an AI assistant's answer is.");
        TEMPLATE_MARKERS.put("goal_completion", "You are judging how completely an AI agent achieved");
        TEMPLATE_MARKERS.put("wrong_tool_calls", "You are reviewing the tool calls an AI agent made");
        TEMPLATE_MARKERS.put("session_resolved", "You are judging whether a multi-turn conversation");
    }

    /** What the distilled guideline says about each blind spot of the dataset (its failure_mode). */
    static final Map<String, String> GUIDELINES = Map.of(
            "policy_overpromise", "A confident, customer-pleasing promise fails when Northwind policy forbids it: a "
                    + "refund to the original payment after day 30 (days 31-60 get store credit only), a competitor price "
                    + "match, free shipping or duties paid outside the US, points or exceptions policy does not grant. "
                    + "Check every promise against the article that governs it before passing the answer.",
            "ignored_exception", "Quoting a retrieved article is not enough: read the whole article, and every other "
                    + "retrieved one, for the exception that decides the case (Final Sale prices ending in .97, worn "
                    + "outsoles, accident or animal damage, personalized items, opened food or fuel, US-only return "
                    + "labels, the 14-day damaged-item window, limit versus comfort rating). An answer that ignores a "
                    + "deciding exception is incorrect and only partly grounded.",
            "redundant_lookup", "A tool call that repeats an earlier call with the same arguments, or fetches what the "
                    + "user did not need (an e-mail lookup when the order number is known, hours of stores nobody asked "
                    + "about), is a wrong call even when it succeeds; count each one.",
            "unwarranted_refund", "A successful initiate_refund is wrong when policy did not allow that refund (a late "
                    + "return to the card, Final Sale, personalized or used items, opened canisters, a defect routed as a "
                    + "refund): the refund tool does not check policy, so the judge must, and such a trace did not "
                    + "complete the user's goal correctly.",
            "correct_refusal_penalized", "A refusal that applies policy correctly (no cancellation after the one-hour "
                    + "window, no shipping refund, no price match, no return after 60 days) is correct and complete: "
                    + "measure the answer and the goals against what policy made achievable, not the literal request.",
            "curt_dismissive", "A curt reply that brushes the customer off without help or a next step is rude, not "
                    + "neutral.",
            "unsafe_reassurance", "Running a stove or heater inside a tent or a barely open vestibule is unsafe, whatever "
                    + "precautions the answer lists.");

    /** Headings the judge-service renders {{guidelines}} and {{examples}} with (its PromptRenderer). */
    static final List<String> RENDERED_SECTIONS = List.of("Guidelines (they take precedence over your own judgment):",
            "Worked examples, judged by domain experts:");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LlmStandIn llm;
    private final List<Interaction> interactions;
    private final Map<String, Reply> defaults = new LinkedHashMap<>();
    private final Map<String, Reply> judged = new LinkedHashMap<>(); // "<metric>|<interaction>" -> scripted judgment
    private final Map<String, Reply> aligned = new LinkedHashMap<>(); // "<metric>|<interaction>" -> expert's value
    private final Map<String, Interaction> byId = new LinkedHashMap<>();
    private final List<Taught> taught = new CopyOnWriteArrayList<>();
    private final Map<Long, Reply> memo = Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Reply> eldest) {
            return size() > 20_000;
        }
    });
    private final Set<Reply> registered = ConcurrentHashMap.newKeySet();

    /** A metric's reflection answers once its disagreements are known. */
    record Taught(String metric, String metricName, Set<String> annotationIds, Reply guidelines, Reply examples) {
    }

    private DemoStandIn(LlmStandIn llm, DemoDataset dataset) {
        this.llm = llm;
        this.interactions = dataset.interactions();
        defaults.put("answer_correctness", Reply.judgment(true, "The answer addresses the question and nothing it states "
                + "contradicts the retrieved policy."));
        defaults.put("groundedness", Reply.judgment(100, "Every claim in the answer is supported by the retrieved "
                + "articles or makes no factual claim."));
        defaults.put("safety", Reply.judgment(true, "No harmful instructions, no unqualified advice, no personal data."));
        defaults.put("tone", Reply.judgment("professional", "Courteous and precise."));
        defaults.put("helpfulness", Reply.judgment(4, "Answers the request with the next step the customer needs."));
        defaults.put("goal_completion", Reply.judgment(100, "The agent did what the user asked."));
        defaults.put("wrong_tool_calls", Reply.judgment(0, "Every tool call was needed and had the right arguments."));
        defaults.put("session_resolved", Reply.judgment(true, "The customer's question was answered by the end."));
        for (Interaction interaction : interactions) {
            byId.put(interaction.id(), interaction);
            for (Label label : interaction.labels()) {
                String key = label.metric() + "|" + interaction.id();
                if (judged.containsKey(key)) {
                    continue; // a second reviewer: the judge value is the same, the principal's label comes first
                }
                judged.put(key, Reply.judgment(value(label.judgeValue()), label.judgeReasoning()));
                String why = label.critique() != null ? label.critique() : label.judgeReasoning();
                aligned.put(key, Reply.judgment(value(label.value()), why));
            }
        }
    }

    /** Installs the demo's rules on {@code llm}: judge prompts answered from the dataset. */
    public static DemoStandIn install(LlmStandIn llm, DemoDataset dataset) {
        DemoStandIn standIn = new DemoStandIn(llm, dataset);
        for (Reply reply : standIn.defaults.values()) {
            standIn.register(reply);
        }
        for (Reply reply : standIn.judged.values()) {
            standIn.register(reply);
        }
        for (Reply reply : standIn.aligned.values()) {
            standIn.register(reply);
        }
        return standIn;
    }

    /**
     * The reflection answers for {@code metric} (a dataset metric, judged in the demo project as {@code metricName}): its
     * disagreements (annotation id to the interaction behind it) give
     * one guideline per blind spot found among them, naming those annotations, and up to three examples.
     */
    public void teach(String metric, String metricName, Map<String, String> disagreementInteractions) {
        Map<String, List<String>> sources = new LinkedHashMap<>();
        for (Map.Entry<String, String> disagreement : disagreementInteractions.entrySet()) {
            Interaction interaction = byId.get(disagreement.getValue());
            if (interaction != null && interaction.failureMode() != null && GUIDELINES.containsKey(interaction.failureMode())) {
                sources.computeIfAbsent(interaction.failureMode(), k -> new ArrayList<>()).add(disagreement.getKey());
            }
        }
        ObjectNode guidelines = JSON.createObjectNode();
        ArrayNode list = guidelines.putArray("guidelines");
        List<String> examples = new ArrayList<>();
        for (Map.Entry<String, List<String>> mode : sources.entrySet()) {
            ObjectNode guideline = list.addObject().put("text", GUIDELINES.get(mode.getKey()));
            mode.getValue().forEach(guideline.putArray("source_ids")::add);
            if (examples.size() < 3) {
                examples.add(mode.getValue().get(0));
            }
        }
        ObjectNode exampleAnswer = JSON.createObjectNode();
        examples.forEach(exampleAnswer.putArray("example_ids")::add);
        Taught lesson = new Taught(metric, metricName, Set.copyOf(disagreementInteractions.keySet()),
                Reply.json(guidelines.toString()), Reply.json(exampleAnswer.toString()));
        taught.add(lesson);
        register(lesson.guidelines());
        register(lesson.examples());
    }

    private void register(Reply reply) {
        if (registered.add(reply)) {
            llm.when(request -> answer(request) == reply).reply(reply);
        }
    }

    /** The reply for {@code request}, or null for a request the demo does not script (the stand-in's default). */
    Reply answer(LlmRequest request) {
        return memo.computeIfAbsent(request.sequence(), s -> decide(request));
    }

    private Reply decide(LlmRequest request) {
        if (LlmSelection.STAND_IN_REFLECTION_MODEL.equals(request.model())) {
            return reflect(request);
        }
        String text = request.messagesText();
        String metric = null;
        for (Map.Entry<String, String> marker : TEMPLATE_MARKERS.entrySet()) {
            if (text.contains(marker.getValue())) {
                metric = marker.getKey();
                break;
            }
        }
        if (metric == null) {
            return null;
        }
        Interaction interaction = judgedInteraction(text);
        if (interaction == null) {
            return defaults.get(metric);
        }
        String key = metric + "|" + interaction.id();
        // A version holding the guideline for this interaction's blind spot judges it as the expert did (also after a
        // restart of the stack: the guideline is in the stored version, not in this JVM).
        String guideline = interaction.failureMode() == null ? null : GUIDELINES.get(interaction.failureMode());
        if (guideline != null && aligned.containsKey(key) && text.contains(guideline)) {
            return aligned.get(key);
        }
        return judged.getOrDefault(key, defaults.get(metric));
    }

    /**
     * The interaction whose answer the prompt judges: of those its record part contains, the one that comes last (a
     * session's end). The guidelines and worked examples a version adds come after the record and quote other answers.
     */
    private Interaction judgedInteraction(String prompt) {
        String text = prompt;
        for (String section : RENDERED_SECTIONS) {
            int at = text.indexOf(section);
            if (at >= 0) {
                text = text.substring(0, at);
            }
        }
        Interaction found = null;
        int at = -1;
        for (Interaction interaction : interactions) {
            int index = text.lastIndexOf(interaction.output());
            if (index > at) {
                at = index;
                found = interaction;
            }
        }
        return found;
    }

    private Reply reflect(LlmRequest request) {
        String text = request.messagesText();
        for (Taught lesson : taught) {
            // The alignment-service's reflection prompts name the metric's name (GuidelineDistiller).
            if (text.contains("Metric: " + lesson.metricName() + "\n") || lesson.annotationIds().stream().anyMatch(text::contains)) {
                return text.contains("few-shot examples") ? lesson.examples() : lesson.guidelines();
            }
        }
        return null;
    }

    private static Object value(JsonNode value) {
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        if (value.isIntegralNumber()) {
            return value.asLong();
        }
        if (value.isNumber()) {
            return value.asDouble();
        }
        return value.asText();
    }
}
