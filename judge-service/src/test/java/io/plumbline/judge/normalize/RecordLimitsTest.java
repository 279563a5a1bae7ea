package io.plumbline.judge.normalize;

import static io.plumbline.judge.OtlpSpans.attr;
import static io.plumbline.judge.OtlpSpans.resource;
import static io.plumbline.judge.OtlpSpans.span;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.SourceConvention;

/** Oversized content, content hashes, spans without GenAI content. */
class RecordLimitsTest {

    private static final SpanNormalizer SMALL = new SpanNormalizer(100, "plumbline.project", "default");

    @Test
    void oversizedFieldsAreCutWithAMarkerAndTheOriginalSizeIsKept() {
        String longAnswer = "é".repeat(5000);
        NormalizedSpan span = SMALL.normalize(resource(), span("chat", attr("gen_ai.prompt", "short question"),
                attr("gen_ai.completion", longAnswer), attr("http.url", "x".repeat(300))).build());
        RecordSnapshot s = span.snapshot();

        assertEquals(100, s.getOutput().length());
        assertTrue(s.getOutput().endsWith("[truncated]"));
        assertTrue(s.getOutput().startsWith("éééé"));
        assertEquals("short question", s.getInput(), "short fields stay whole");
        assertTrue(s.getAttributesMap().get("http.url").endsWith("[truncated]"), "attribute values are cut too");
        assertTrue(s.getTruncated());
        assertTrue(s.getOriginalSizeBytes() >= 10_000 + 300, "é is two bytes: " + s.getOriginalSizeBytes());
        assertEquals("default", s.getRecord().getProjectId(), "no project attribute: the default project");
    }

    @Test
    void theContentHashIgnoresIdentityAndTimeButNotContent() {
        var a = SMALL.normalize(resource(), span("chat", attr("gen_ai.prompt", "q"), attr("gen_ai.completion", "a")).build());
        var sameContentElsewhere = SMALL.normalize(resource(), span("chat", attr("gen_ai.prompt", "q"),
                attr("gen_ai.completion", "a")).setStartTimeUnixNano(1).setEndTimeUnixNano(2).build());
        var otherAnswer = SMALL.normalize(resource(), span("chat", attr("gen_ai.prompt", "q"), attr("gen_ai.completion", "b")).build());

        assertNotEquals(a.traceId(), sameContentElsewhere.traceId());
        assertEquals(a.snapshot().getContentHash(), sameContentElsewhere.snapshot().getContentHash());
        assertNotEquals(a.snapshot().getContentHash(), otherAnswer.snapshot().getContentHash());
    }

    @Test
    void aSpanWithoutGenAiContentKeepsItsAttributesAndSaysSo() {
        NormalizedSpan span = SMALL.normalize(resource("service.name", "api"), span("GET /orders", attr("http.method", "GET"),
                attr("gen_ai.request.model", "gpt-4o")).setParentSpanId(io.plumbline.judge.OtlpSpans.bytes("0102030405060708")).build());

        assertFalse(span.hasGenAiContent());
        assertEquals(SourceConvention.SOURCE_CONVENTION_UNSPECIFIED, span.snapshot().getConvention());
        assertEquals("GET", span.snapshot().getAttributesMap().get("http.method"));
        assertEquals("gpt-4o", span.snapshot().getModel(), "metadata is read even without content");
        assertEquals("0102030405060708", span.parentSpanId());
        assertFalse(span.isRoot());
    }
}
