package io.plumbline.judge.intake;

import com.google.protobuf.ByteString;

import io.opentelemetry.proto.trace.v1.Span;

/** The OTLP rules for span identity: a trace id of 16 bytes and a span id of 8, not all zero; a parent of 8 or none. */
final class SpanIds {

    private SpanIds() {
    }

    /** Why {@code span} cannot be processed, or null when its ids are valid. */
    static String problem(Span span) {
        if (!valid(span.getTraceId(), 16)) {
            return "trace_id has " + span.getTraceId().size() + " byte(s) or is all zero; 16 non-zero bytes expected";
        }
        if (!valid(span.getSpanId(), 8)) {
            return "span_id has " + span.getSpanId().size() + " byte(s) or is all zero; 8 non-zero bytes expected";
        }
        if (!span.getParentSpanId().isEmpty() && span.getParentSpanId().size() != 8) {
            return "parent_span_id has " + span.getParentSpanId().size() + " byte(s); 8 or none expected";
        }
        return null;
    }

    private static boolean valid(ByteString id, int length) {
        if (id.size() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (id.byteAt(i) != 0) {
                return true;
            }
        }
        return false;
    }
}
