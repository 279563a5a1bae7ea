package io.plumbline.common.llm;

import dev.langchain4j.model.chat.request.json.JsonObjectSchema;

/**
 * One request to a model.
 *
 * @param provider a provider name of {@link LlmConfig}
 * @param model the model, as the provider names it
 * @param system the system message (instructions); may be empty
 * @param user the user message (the rendered prompt)
 * @param temperature sampling temperature, or null for the provider's default
 * @param maxOutputTokens bound on the answer, or null for the provider's default
 * @param responseSchema the JSON object the answer must be (structured output), or null for free text
 */
public record LlmCall(String provider, String model, String system, String user, Double temperature,
        Integer maxOutputTokens, JsonObjectSchema responseSchema) {

    /** A rough token count of the request (4 characters a token) plus the answer's bound, for rate limiting. */
    long estimatedTokens() {
        long prompt = ((system == null ? 0 : system.length()) + (user == null ? 0 : user.length())) / 4;
        return prompt + (maxOutputTokens == null ? 512 : maxOutputTokens);
    }
}
