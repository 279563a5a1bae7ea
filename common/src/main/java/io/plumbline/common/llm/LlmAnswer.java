package io.plumbline.common.llm;

import java.time.Duration;

/**
 * A model's answer.
 *
 * @param text the answer (JSON when the call asked for a schema)
 * @param model the model that answered, as the provider reports it
 * @param inputTokens prompt tokens, as the provider counts them
 * @param outputTokens completion tokens
 * @param latency from the first attempt to the answer, waits included
 * @param attempts 1 plus the retries it took
 */
public record LlmAnswer(String text, String model, long inputTokens, long outputTokens, Duration latency, int attempts) {
}
