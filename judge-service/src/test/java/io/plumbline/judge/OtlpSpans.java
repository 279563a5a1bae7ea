package io.plumbline.judge;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import com.google.protobuf.ByteString;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

/** OTLP spans as instrumentations emit them, built for tests. */
public final class OtlpSpans {

    public static final long START = 1_763_800_000_000_000_000L;

    private OtlpSpans() {
    }

    public static String newTraceId() {
        byte[] id = new byte[16];
        ThreadLocalRandom.current().nextBytes(id);
        id[0] |= 1;
        return HexFormat.of().formatHex(id);
    }

    public static String newSpanId() {
        byte[] id = new byte[8];
        ThreadLocalRandom.current().nextBytes(id);
        id[0] |= 1;
        return HexFormat.of().formatHex(id);
    }

    /** A span of a new trace, started at {@link #START}, lasting 1.2 s, with these attributes. */
    public static Span.Builder span(String name, KeyValue... attributes) {
        return span(newTraceId(), name, attributes);
    }

    /** A span of the given trace. */
    public static Span.Builder span(String traceId, String name, KeyValue... attributes) {
        Span.Builder span = Span.newBuilder().setTraceId(bytes(traceId)).setSpanId(bytes(newSpanId())).setName(name)
                .setKind(Span.SpanKind.SPAN_KIND_CLIENT).setStartTimeUnixNano(START).setEndTimeUnixNano(START + 1_200_000_000L);
        for (KeyValue attribute : attributes) {
            span.addAttributes(attribute);
        }
        return span;
    }

    public static ByteString bytes(String hex) {
        return ByteString.copyFrom(HexFormat.of().parseHex(hex));
    }

    public static KeyValue attr(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(str(value)).build();
    }

    public static KeyValue attr(String key, long value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
    }

    public static KeyValue attr(String key, double value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setDoubleValue(value)).build();
    }

    public static KeyValue attr(String key, AnyValue value) {
        return KeyValue.newBuilder().setKey(key).setValue(value).build();
    }

    public static AnyValue str(String value) {
        return AnyValue.newBuilder().setStringValue(value).build();
    }

    public static AnyValue array(AnyValue... values) {
        ArrayValue.Builder array = ArrayValue.newBuilder();
        for (AnyValue value : values) {
            array.addValues(value);
        }
        return AnyValue.newBuilder().setArrayValue(array).build();
    }

    /** A map value from alternating keys and values (String or AnyValue). */
    public static AnyValue map(Object... keysAndValues) {
        KeyValueList.Builder list = KeyValueList.newBuilder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            Object value = keysAndValues[i + 1];
            list.addValues(KeyValue.newBuilder().setKey((String) keysAndValues[i])
                    .setValue(value instanceof AnyValue any ? any : str(String.valueOf(value))));
        }
        return AnyValue.newBuilder().setKvlistValue(list).build();
    }

    public static Resource resource(String... keysAndValues) {
        Resource.Builder resource = Resource.newBuilder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            resource.addAttributes(attr(keysAndValues[i], keysAndValues[i + 1]));
        }
        return resource.build();
    }

    public static ExportTraceServiceRequest request(Resource resource, Span.Builder... spans) {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder().setScope(InstrumentationScope.newBuilder()
                .setName("opentelemetry.instrumentation.openai_v2").setVersion("2.1b0"));
        for (Span.Builder span : spans) {
            scope.addSpans(span);
        }
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder().setResource(resource).addScopeSpans(scope)).build();
    }
}
