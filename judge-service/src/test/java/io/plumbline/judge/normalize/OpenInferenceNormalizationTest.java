package io.plumbline.judge.normalize;

import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.OtlpSpans.resource;
import static io.plumbline.judge.OtlpSpans.span;
import static io.plumbline.judge.normalize.OpenTelemetryGenAiNormalizationTest.NORMALIZER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.opentelemetry.proto.resource.v1.Resource;
import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.MessageRole;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.RetrievedDocument;
import io.plumbline.proto.judge.v1.SourceConvention;

/** OpenInference spans as Arize Phoenix instrumentations (openai, langchain, llama-index) write them. */
class OpenInferenceNormalizationTest {

    static final Resource RESOURCE = resource("service.name", "rag-api", "openinference.project.name", "default");

    @Test
    void anLlmSpanWithFlattenedMessagesToolCallsAndTokenCounts() {
        RecordSnapshot s = NORMALIZER.normalize(RESOURCE, span("ChatCompletion",
                attr("openinference.span.kind", "LLM"),
                attr("llm.provider", "openai"),
                attr("llm.system", "openai"),
                attr("llm.model_name", "gpt-4o-2024-08-06"),
                attr("llm.invocation_parameters", "{\"temperature\": 0.1}"),
                attr("input.value", "{\"messages\": [{\"role\": \"system\", \"content\": \"You answer from the policy.\"}]}"),
                attr("input.mime_type", "application/json"),
                attr("llm.input_messages.0.message.role", "system"),
                attr("llm.input_messages.0.message.content", "You answer from the policy."),
                attr("llm.input_messages.1.message.role", "user"),
                attr("llm.input_messages.1.message.content", "Can I return shoes after 40 days?"),
                attr("llm.output_messages.0.message.role", "assistant"),
                attr("llm.output_messages.0.message.tool_calls.0.tool_call.id", "call_42"),
                attr("llm.output_messages.0.message.tool_calls.0.tool_call.function.name", "lookup_policy"),
                attr("llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments", "{\"topic\": \"returns\"}"),
                attr("llm.token_count.prompt", 320),
                attr("llm.token_count.completion", 24),
                attr("llm.token_count.total", 344),
                attr("session.id", "sess-77"),
                attr("user.id", "u-1")).build()).snapshot();

        assertEquals(SourceConvention.SOURCE_CONVENTION_OPENINFERENCE, s.getConvention());
        assertEquals("Can I return shoes after 40 days?", s.getInput(), "the last user message wins over input.value");
        assertEquals("You answer from the policy.", s.getContext().getSystemInstructions());
        assertEquals(List.of(MessageRole.MESSAGE_ROLE_SYSTEM, MessageRole.MESSAGE_ROLE_USER, MessageRole.MESSAGE_ROLE_ASSISTANT),
                s.getMessagesList().stream().map(ChatMessage::getRole).toList());
        assertEquals("lookup_policy", s.getMessages(2).getToolCalls(0).getName());
        assertEquals(1, s.getToolCallsCount(), "the requested tool call is listed for {{tool_calls}}");
        assertEquals("{\"topic\": \"returns\"}", s.getToolCalls(0).getArguments());
        assertEquals("call_42", s.getToolCalls(0).getId());
        assertEquals("gpt-4o-2024-08-06", s.getModel());
        assertEquals("openai", s.getProvider());
        assertEquals("LLM", s.getOperation());
        assertEquals(320, s.getTokenUsage().getInputTokens());
        assertEquals(24, s.getTokenUsage().getOutputTokens());
        assertEquals(344, s.getTokenUsage().getTotalTokens());
        assertEquals("sess-77", s.getSessionId());
        assertEquals("u-1", s.getAttributesMap().get("user.id"));
        assertFalse(s.getAttributesMap().containsKey("llm.input_messages.1.message.content"));
        assertFalse(s.getAttributesMap().containsKey("input.value"));
    }

    @Test
    void aRetrieverSpanGivesRankedDocumentsWithScoresAndMetadata() {
        RecordSnapshot s = NORMALIZER.normalize(RESOURCE, span("retrieve",
                attr("openinference.span.kind", "RETRIEVER"),
                attr("input.value", "return policy for shoes"),
                attr("retrieval.documents.0.document.id", "doc-12"),
                attr("retrieval.documents.0.document.content", "Shoes can be returned within 30 days."),
                attr("retrieval.documents.0.document.score", 0.91),
                attr("retrieval.documents.0.document.metadata", "{\"source\": \"policy.pdf\", \"page\": 3}"),
                attr("retrieval.documents.1.document.id", "doc-7"),
                attr("retrieval.documents.1.document.content", "Sale items are final."),
                attr("retrieval.documents.1.document.score", 0.42)).build()).snapshot();

        assertEquals("return policy for shoes", s.getInput());
        List<RetrievedDocument> documents = s.getContext().getDocumentsList();
        assertEquals(List.of("doc-12", "doc-7"), documents.stream().map(RetrievedDocument::getId).toList());
        assertEquals("Shoes can be returned within 30 days.", documents.get(0).getContent());
        assertEquals(0.91, documents.get(0).getScore(), 1e-9);
        assertEquals("policy.pdf", documents.get(0).getMetadataMap().get("source"));
        assertEquals("3", documents.get(0).getMetadataMap().get("page"));
        assertEquals("RETRIEVER", s.getOperation());
    }

    @Test
    void rerankerSpansAreJudgedOnTheirQueryAndTheDocumentsTheyKept() {
        RecordSnapshot s = NORMALIZER.normalize(RESOURCE, span("rerank",
                attr("openinference.span.kind", "RERANKER"),
                attr("reranker.query", "return policy for shoes"),
                attr("reranker.model_name", "cross-encoder/ms-marco-MiniLM-L-6-v2"),
                attr("reranker.top_k", 1L),
                attr("reranker.input_documents.0.document.id", "doc-7"),
                attr("reranker.input_documents.0.document.content", "Sale items are final."),
                attr("reranker.input_documents.1.document.id", "doc-12"),
                attr("reranker.input_documents.1.document.content", "Shoes can be returned within 30 days."),
                attr("reranker.output_documents.0.document.id", "doc-12"),
                attr("reranker.output_documents.0.document.content", "Shoes can be returned within 30 days."),
                attr("reranker.output_documents.0.document.score", 0.97)).build()).snapshot();

        assertEquals("return policy for shoes", s.getInput());
        List<RetrievedDocument> kept = s.getContext().getDocumentsList();
        assertEquals(List.of("doc-12"), kept.stream().map(RetrievedDocument::getId).toList());
        assertEquals("Shoes can be returned within 30 days.", kept.get(0).getContent());
        assertEquals(0.97, kept.get(0).getScore(), 1e-9);
        assertEquals("cross-encoder/ms-marco-MiniLM-L-6-v2", s.getModel());
        assertEquals("RERANKER", s.getOperation());
        assertEquals(SourceConvention.SOURCE_CONVENTION_OPENINFERENCE, s.getConvention());
    }

    @Test
    void chainSpansUseInputAndOutputValuesAndContentPartsAreJoined() {
        RecordSnapshot chain = NORMALIZER.normalize(RESOURCE, span("RetrievalQA",
                attr("openinference.span.kind", "CHAIN"), attr("input.value", "Can I return shoes?"),
                attr("output.value", "Yes, within 30 days.")).build()).snapshot();
        RecordSnapshot multimodal = NORMALIZER.normalize(RESOURCE, span("ChatCompletion",
                attr("openinference.span.kind", "LLM"),
                attr("llm.input_messages.0.message.role", "user"),
                attr("llm.input_messages.0.message.contents.0.message_content.type", "text"),
                attr("llm.input_messages.0.message.contents.0.message_content.text", "What is in this picture?"),
                attr("llm.input_messages.0.message.contents.1.message_content.type", "image"),
                attr("llm.input_messages.0.message.contents.1.message_content.image.image.url", "https://x/cat.png"),
                attr("llm.output_messages.0.message.role", "assistant"),
                attr("llm.output_messages.0.message.content", "A cat.")).build()).snapshot();

        assertEquals("Can I return shoes?", chain.getInput());
        assertEquals("Yes, within 30 days.", chain.getOutput());
        assertEquals("CHAIN", chain.getOperation());
        assertEquals("What is in this picture?\n[image]", multimodal.getInput());
        assertEquals("A cat.", multimodal.getOutput());
    }
}
