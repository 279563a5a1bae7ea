package io.plumbline.judge.normalize;

import static io.plumbline.judge.normalize.MappingRule.input;
import static io.plumbline.judge.normalize.MappingRule.output;
import static io.plumbline.judge.normalize.MappingRule.rule;

import java.util.List;

import io.plumbline.proto.judge.v1.SourceConvention;

/**
 * The mapping tables of the GenAI tracing conventions in use, in order of precedence: when a span carries content in
 * several conventions, the first table with content supplies it. Metadata (model, tokens, session...) is taken from
 * every table, first value wins.
 */
final class ConventionTables {

    private ConventionTables() {
    }

    /**
     * OpenTelemetry GenAI semantic conventions: {@code gen_ai.input.messages} / {@code gen_ai.output.messages} (JSON
     * string or structured value, messages of typed parts), {@code gen_ai.system_instructions}, retrieval spans'
     * {@code gen_ai.retrieval.query.text} and {@code gen_ai.retrieval.documents} (a JSON string or structured list of
     * documents), and the deprecated {@code gen_ai.prompt} / {@code gen_ai.completion}.
     */
    static final ConventionTable OTEL_GENAI = new ConventionTable(SourceConvention.SOURCE_CONVENTION_OTEL_GENAI, List.of(
            rule("gen_ai.operation.name", Field.OPERATION),
            rule("gen_ai.provider.name", Field.PROVIDER),
            rule("gen_ai.system", Field.PROVIDER),
            rule("gen_ai.request.model", Field.REQUEST_MODEL),
            rule("gen_ai.response.model", Field.RESPONSE_MODEL),
            rule("gen_ai.conversation.id", Field.SESSION_ID),
            rule("gen_ai.usage.input_tokens", Field.INPUT_TOKENS),
            rule("gen_ai.usage.prompt_tokens", Field.INPUT_TOKENS),
            rule("gen_ai.usage.output_tokens", Field.OUTPUT_TOKENS),
            rule("gen_ai.usage.completion_tokens", Field.OUTPUT_TOKENS),
            rule("gen_ai.tool.name", Field.TOOL_NAME),
            rule("gen_ai.tool.call.id", Field.TOOL_CALL_ID),
            rule("gen_ai.tool.call.arguments", Field.TOOL_ARGUMENTS),
            rule("gen_ai.tool.call.result", Field.TOOL_RESULT),
            input("gen_ai.input.messages", Field.MESSAGES),
            output("gen_ai.output.messages", Field.MESSAGES),
            rule("gen_ai.system_instructions", Field.SYSTEM_INSTRUCTIONS),
            rule("gen_ai.retrieval.query.text", Field.INPUT_VALUE),
            rule("gen_ai.retrieval.documents", Field.DOCUMENTS),
            input("gen_ai.prompt", Field.MESSAGES_OR_TEXT),
            output("gen_ai.completion", Field.MESSAGES_OR_TEXT)));

    /**
     * OpenInference (Arize Phoenix): {@code input.value} / {@code output.value}, flattened messages
     * {@code llm.input_messages.N.message.*} with content parts and tool calls, {@code retrieval.documents.N.document.*};
     * a reranker span's query is its input and the documents it kept ({@code reranker.output_documents.N.document.*})
     * its context.
     */
    static final ConventionTable OPENINFERENCE = new ConventionTable(SourceConvention.SOURCE_CONVENTION_OPENINFERENCE, List.of(
            rule("openinference.span.kind", Field.OPERATION),
            rule("llm.provider", Field.PROVIDER),
            rule("llm.system", Field.PROVIDER),
            rule("llm.model_name", Field.RESPONSE_MODEL),
            rule("session.id", Field.SESSION_ID),
            rule("llm.token_count.prompt", Field.INPUT_TOKENS),
            rule("llm.token_count.completion", Field.OUTPUT_TOKENS),
            rule("llm.token_count.total", Field.TOTAL_TOKENS),
            rule("tool.name", Field.TOOL_NAME),
            rule("tool_call.function.name", Field.TOOL_NAME),
            rule("tool_call.id", Field.TOOL_CALL_ID),
            rule("tool_call.function.arguments", Field.TOOL_ARGUMENTS),
            rule("input.value", Field.INPUT_VALUE),
            rule("output.value", Field.OUTPUT_VALUE),
            input("llm.input_messages.{n}.message.role", Field.MESSAGE_ROLE),
            input("llm.input_messages.{n}.message.content", Field.MESSAGE_CONTENT),
            input("llm.input_messages.{n}.message.name", Field.MESSAGE_NAME),
            input("llm.input_messages.{n}.message.tool_call_id", Field.MESSAGE_TOOL_CALL_ID),
            input("llm.input_messages.{n}.message.contents.{m}.message_content.type", Field.MESSAGE_PART_TYPE),
            input("llm.input_messages.{n}.message.contents.{m}.message_content.text", Field.MESSAGE_PART_TEXT),
            input("llm.input_messages.{n}.message.tool_calls.{m}.tool_call.id", Field.CALL_ID),
            input("llm.input_messages.{n}.message.tool_calls.{m}.tool_call.function.name", Field.CALL_NAME),
            input("llm.input_messages.{n}.message.tool_calls.{m}.tool_call.function.arguments", Field.CALL_ARGUMENTS),
            output("llm.output_messages.{n}.message.role", Field.MESSAGE_ROLE),
            output("llm.output_messages.{n}.message.content", Field.MESSAGE_CONTENT),
            output("llm.output_messages.{n}.message.name", Field.MESSAGE_NAME),
            output("llm.output_messages.{n}.message.contents.{m}.message_content.type", Field.MESSAGE_PART_TYPE),
            output("llm.output_messages.{n}.message.contents.{m}.message_content.text", Field.MESSAGE_PART_TEXT),
            output("llm.output_messages.{n}.message.tool_calls.{m}.tool_call.id", Field.CALL_ID),
            output("llm.output_messages.{n}.message.tool_calls.{m}.tool_call.function.name", Field.CALL_NAME),
            output("llm.output_messages.{n}.message.tool_calls.{m}.tool_call.function.arguments", Field.CALL_ARGUMENTS),
            rule("retrieval.documents.{n}.document.id", Field.DOCUMENT_ID),
            rule("retrieval.documents.{n}.document.content", Field.DOCUMENT_CONTENT),
            rule("retrieval.documents.{n}.document.score", Field.DOCUMENT_SCORE),
            rule("retrieval.documents.{n}.document.metadata", Field.DOCUMENT_METADATA),
            rule("reranker.query", Field.INPUT_VALUE),
            rule("reranker.model_name", Field.REQUEST_MODEL),
            rule("reranker.output_documents.{n}.document.id", Field.DOCUMENT_ID),
            rule("reranker.output_documents.{n}.document.content", Field.DOCUMENT_CONTENT),
            rule("reranker.output_documents.{n}.document.score", Field.DOCUMENT_SCORE),
            rule("reranker.output_documents.{n}.document.metadata", Field.DOCUMENT_METADATA)));

    /**
     * OpenLLMetry (Traceloop): flattened {@code gen_ai.prompt.N.*} / {@code gen_ai.completion.N.*} with tool calls,
     * {@code traceloop.entity.input/output}, {@code traceloop.association.properties.session_id}.
     */
    static final ConventionTable OPENLLMETRY = new ConventionTable(SourceConvention.SOURCE_CONVENTION_OPENLLMETRY, List.of(
            rule("llm.request.type", Field.OPERATION),
            rule("traceloop.span.kind", Field.OPERATION),
            rule("gen_ai.system", Field.PROVIDER),
            rule("gen_ai.request.model", Field.REQUEST_MODEL),
            rule("gen_ai.response.model", Field.RESPONSE_MODEL),
            rule("traceloop.association.properties.session_id", Field.SESSION_ID),
            rule("gen_ai.usage.prompt_tokens", Field.INPUT_TOKENS),
            rule("gen_ai.usage.input_tokens", Field.INPUT_TOKENS),
            rule("gen_ai.usage.completion_tokens", Field.OUTPUT_TOKENS),
            rule("gen_ai.usage.output_tokens", Field.OUTPUT_TOKENS),
            rule("llm.usage.total_tokens", Field.TOTAL_TOKENS),
            rule("traceloop.entity.name", Field.TOOL_NAME),
            rule("traceloop.entity.input", Field.INPUT_VALUE),
            rule("traceloop.entity.output", Field.OUTPUT_VALUE),
            input("gen_ai.prompt.{n}.role", Field.MESSAGE_ROLE),
            input("gen_ai.prompt.{n}.content", Field.MESSAGE_CONTENT),
            input("gen_ai.prompt.{n}.name", Field.MESSAGE_NAME),
            input("gen_ai.prompt.{n}.tool_call_id", Field.MESSAGE_TOOL_CALL_ID),
            input("gen_ai.prompt.{n}.tool_calls.{m}.id", Field.CALL_ID),
            input("gen_ai.prompt.{n}.tool_calls.{m}.name", Field.CALL_NAME),
            input("gen_ai.prompt.{n}.tool_calls.{m}.arguments", Field.CALL_ARGUMENTS),
            output("gen_ai.completion.{n}.role", Field.MESSAGE_ROLE),
            output("gen_ai.completion.{n}.content", Field.MESSAGE_CONTENT),
            output("gen_ai.completion.{n}.finish_reason", Field.MESSAGE_FINISH_REASON),
            output("gen_ai.completion.{n}.tool_calls.{m}.id", Field.CALL_ID),
            output("gen_ai.completion.{n}.tool_calls.{m}.name", Field.CALL_NAME),
            output("gen_ai.completion.{n}.tool_calls.{m}.arguments", Field.CALL_ARGUMENTS),
            output("gen_ai.completion.{n}.function_call.name", Field.CALL_NAME),
            output("gen_ai.completion.{n}.function_call.arguments", Field.CALL_ARGUMENTS)));

    /** Every table, in order of precedence. */
    static final List<ConventionTable> ALL = List.of(OTEL_GENAI, OPENINFERENCE, OPENLLMETRY);
}
