package io.plumbline.judge.normalize;

import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.SourceConvention;

/**
 * One span after normalization: its identity and timing in the trace (for assembly) and the span-level record a
 * metric judges ({@link #snapshot()}, level SPAN, record id {@code <trace_id>/<span_id>}).
 *
 * @param traceId      32 lower-case hex digits
 * @param spanId       16 lower-case hex digits
 * @param parentSpanId 16 hex digits, or "" for a root span
 * @param startTimeUnixNano start, nanoseconds since the epoch
 * @param endTimeUnixNano   end, nanoseconds since the epoch
 * @param snapshotBytes     the snapshot serialized, as it is stored ({@link ContentHash#hashAndSerialize})
 */
public record NormalizedSpan(String traceId, String spanId, String parentSpanId, long startTimeUnixNano,
        long endTimeUnixNano, RecordSnapshot snapshot, byte[] snapshotBytes) {

    /** True for a span without a parent: a trace is complete once its root ended (and it went idle). */
    public boolean isRoot() {
        return parentSpanId.isEmpty();
    }

    /** True when a GenAI convention supplied content; a span without it is skipped by span bindings (and counted). */
    public boolean hasGenAiContent() {
        return snapshot.getConvention() != SourceConvention.SOURCE_CONVENTION_UNSPECIFIED;
    }
}
