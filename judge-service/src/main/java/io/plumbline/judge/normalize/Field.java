package io.plumbline.judge.normalize;

/**
 * What an attribute means, whatever convention named it: the vocabulary the mapping tables share. Content fields
 * (traced text) are read into the snapshot and left out of its attributes; metadata fields stay in the attributes
 * too, so that bindings can match on them.
 */
enum Field {
    // metadata, one value per span
    OPERATION(false), PROVIDER(false), REQUEST_MODEL(false), RESPONSE_MODEL(false), SESSION_ID(false),
    INPUT_TOKENS(false), OUTPUT_TOKENS(false), TOTAL_TOKENS(false), TOOL_NAME(false), TOOL_CALL_ID(false),

    // content, one value per span
    /** Input as text ({@code input.value}, {@code traceloop.entity.input}). */
    INPUT_VALUE(true),
    /** Output as text. */
    OUTPUT_VALUE(true),
    /** A whole message list as JSON or a structured value ({@code gen_ai.input.messages}); the rule's side says which. */
    MESSAGES(true),
    /** Deprecated {@code gen_ai.prompt} / {@code gen_ai.completion}: a JSON message list or plain text. */
    MESSAGES_OR_TEXT(true),
    /** System instructions as text or a JSON list of parts. */
    SYSTEM_INSTRUCTIONS(true),
    /** A tool span's arguments. */
    TOOL_ARGUMENTS(true),
    /** A tool span's result. */
    TOOL_RESULT(true),
    /** Retrieved documents as one JSON list or structured array of objects ({@code gen_ai.retrieval.documents}). */
    DOCUMENTS(true),

    // content, per indexed message {n} (side from the rule)
    MESSAGE_ROLE(true), MESSAGE_CONTENT(true), MESSAGE_NAME(true), MESSAGE_TOOL_CALL_ID(true), MESSAGE_FINISH_REASON(true),
    // per indexed part {n}.{m}
    MESSAGE_PART_TYPE(true), MESSAGE_PART_TEXT(true),
    // per tool call {n}.{m} the model requested in message {n}
    CALL_ID(true), CALL_NAME(true), CALL_ARGUMENTS(true),

    // per retrieved document {n}
    DOCUMENT_ID(true), DOCUMENT_CONTENT(true), DOCUMENT_SCORE(true), DOCUMENT_METADATA(true);

    final boolean content;

    Field(boolean content) {
        this.content = content;
    }
}
