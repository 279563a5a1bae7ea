package io.plumbline.judge.intake;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/**
 * Decodes OTLP trace requests in either encoding. OTLP/JSON is the proto3 JSON mapping except that trace and span ids
 * are hex (not base64) and unknown fields are ignored; this codec translates the ids and then uses the protobuf JSON
 * parser.
 */
public final class OtlpTraceCodec {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final HexFormat HEX = HexFormat.of();

    private OtlpTraceCodec() {
    }

    public static ExportTraceServiceRequest decode(byte[] bytes, OtlpEncoding encoding) {
        return encoding == OtlpEncoding.JSON ? decodeJson(bytes) : decodeProtobuf(bytes);
    }

    public static ExportTraceServiceRequest decodeProtobuf(byte[] bytes) {
        try {
            return ExportTraceServiceRequest.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new UndecodableSpansException("undecodable otlp_proto: " + e.getMessage(), e);
        }
    }

    static ExportTraceServiceRequest decodeJson(byte[] bytes) {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new UndecodableSpansException("undecodable otlp_json: not a JSON object");
            }
            for (JsonNode resourceSpans : field(root, "resourceSpans", "resource_spans")) {
                for (JsonNode scopeSpans : field(resourceSpans, "scopeSpans", "scope_spans")) {
                    for (JsonNode span : field(scopeSpans, "spans", "spans")) {
                        hexToBase64(span, "traceId", "trace_id");
                        hexToBase64(span, "spanId", "span_id");
                        hexToBase64(span, "parentSpanId", "parent_span_id");
                        for (JsonNode link : field(span, "links", "links")) {
                            hexToBase64(link, "traceId", "trace_id");
                            hexToBase64(link, "spanId", "span_id");
                        }
                    }
                }
            }
            ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
            PARSER.merge(root.toString(), request);
            return request.build();
        } catch (UndecodableSpansException e) {
            throw e;
        } catch (Exception e) {
            throw new UndecodableSpansException("undecodable otlp_json: " + e.getMessage(), e);
        }
    }

    /** A message (response or status) in the given encoding; JSON follows the proto3 JSON mapping. */
    public static byte[] encode(Message message, OtlpEncoding encoding) {
        if (encoding == OtlpEncoding.PROTOBUF) {
            return message.toByteArray();
        }
        try {
            return PRINTER.print(message).getBytes(StandardCharsets.UTF_8);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode field(JsonNode node, String camel, String snake) {
        JsonNode value = node.get(camel);
        if (value == null) {
            value = node.get(snake);
        }
        return value == null || !value.isArray() ? JSON.createArrayNode() : value;
    }

    private static void hexToBase64(JsonNode node, String camel, String snake) {
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        String key = object.has(camel) ? camel : object.has(snake) ? snake : null;
        if (key == null || !object.get(key).isTextual()) {
            return;
        }
        String hex = object.get(key).asText();
        try {
            object.put(key, Base64.getEncoder().encodeToString(HEX.parseHex(hex)));
        } catch (IllegalArgumentException e) {
            throw new UndecodableSpansException("undecodable otlp_json: " + key + " \"" + abbreviate(hex) + "\" is not hex");
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
