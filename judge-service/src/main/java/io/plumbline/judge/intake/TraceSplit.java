package io.plumbline.judge.intake;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

/**
 * An export request cut into one request per trace id (resource and scope kept), as the Collector's Kafka exporter
 * does with {@code partition_traces_by_id}, so that each Kafka record is keyed by its trace id. Spans with invalid ids
 * are left out and counted.
 *
 * @param byTraceId        hex trace id to the spans of that trace
 * @param accepted         spans kept
 * @param rejected         spans left out
 * @param rejectionReason  why the first span was left out; null when none was
 */
record TraceSplit(Map<String, ExportTraceServiceRequest> byTraceId, int accepted, int rejected, String rejectionReason) {

    private static final HexFormat HEX = HexFormat.of();

    static TraceSplit of(ExportTraceServiceRequest request) {
        Map<String, ExportTraceServiceRequest.Builder> byTrace = new LinkedHashMap<>();
        int accepted = 0;
        int rejected = 0;
        String reason = null;
        for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                Map<String, ScopeSpans.Builder> scopeByTrace = new LinkedHashMap<>();
                for (Span span : scopeSpans.getSpansList()) {
                    String problem = SpanIds.problem(span);
                    if (problem != null) {
                        rejected++;
                        if (reason == null) {
                            reason = "span \"" + span.getName() + "\": " + problem;
                        }
                        continue;
                    }
                    accepted++;
                    String traceId = HEX.formatHex(span.getTraceId().toByteArray());
                    scopeByTrace.computeIfAbsent(traceId, t -> ScopeSpans.newBuilder().setScope(scopeSpans.getScope())
                            .setSchemaUrl(scopeSpans.getSchemaUrl())).addSpans(span);
                }
                scopeByTrace.forEach((traceId, scope) -> {
                    ExportTraceServiceRequest.Builder perTrace = byTrace.computeIfAbsent(traceId,
                            t -> ExportTraceServiceRequest.newBuilder());
                    ResourceSpans.Builder resource = lastResource(perTrace, resourceSpans);
                    resource.addScopeSpans(scope);
                });
            }
        }
        Map<String, ExportTraceServiceRequest> built = new LinkedHashMap<>();
        byTrace.forEach((traceId, builder) -> built.put(traceId, builder.build()));
        return new TraceSplit(built, accepted, rejected, reason);
    }

    /** The per-trace request's entry for {@code source}'s resource: the last one if it is the same, else a new one. */
    private static ResourceSpans.Builder lastResource(ExportTraceServiceRequest.Builder perTrace, ResourceSpans source) {
        int last = perTrace.getResourceSpansCount() - 1;
        if (last >= 0 && perTrace.getResourceSpans(last).getResource().equals(source.getResource())
                && perTrace.getResourceSpans(last).getSchemaUrl().equals(source.getSchemaUrl())) {
            return perTrace.getResourceSpansBuilder(last);
        }
        return perTrace.addResourceSpansBuilder().setResource(source.getResource()).setSchemaUrl(source.getSchemaUrl());
    }
}
