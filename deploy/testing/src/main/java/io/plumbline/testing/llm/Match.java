package io.plumbline.testing.llm;

import java.util.function.Predicate;

/** Request matchers for {@link LlmStandIn#when(Predicate)}; combine them with {@link Predicate#and}. */
public final class Match {

    private Match() {
    }

    /** Every request. */
    public static Predicate<LlmRequest> any() {
        return request -> true;
    }

    /** Requests whose system instructions or messages contain {@code text}. */
    public static Predicate<LlmRequest> contentContains(String text) {
        return request -> request.contains(text);
    }

    /** Requests whose last user message contains {@code text}. */
    public static Predicate<LlmRequest> lastUserMessageContains(String text) {
        return request -> request.lastUserText().contains(text);
    }

    /** Requests for this model. */
    public static Predicate<LlmRequest> model(String model) {
        return request -> model.equals(request.model());
    }

    /** Requests in this protocol. */
    public static Predicate<LlmRequest> protocol(Protocol protocol) {
        return request -> request.protocol() == protocol;
    }

    /** Requests carrying this header value (name case-insensitive). */
    public static Predicate<LlmRequest> header(String name, String value) {
        return request -> value.equals(request.header(name));
    }

    /** Requests that ask for structured output (a JSON schema or a forced tool). */
    public static Predicate<LlmRequest> structuredOutput() {
        return request -> request.responseSchema() != null;
    }
}
