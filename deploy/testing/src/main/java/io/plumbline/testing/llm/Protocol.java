package io.plumbline.testing.llm;

/** The provider wire protocols the stand-in speaks. */
public enum Protocol {
    /** OpenAI chat completions: {@code POST .../chat/completions} (OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM). */
    OPENAI_CHAT,
    /** Anthropic Messages: {@code POST .../messages}. */
    ANTHROPIC_MESSAGES
}
