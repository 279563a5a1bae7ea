package io.plumbline.judge.intake;

import java.util.Locale;

/** The two encodings of OTLP trace data, as media types (receivers) and as Collector Kafka encodings. */
public enum OtlpEncoding {
    /** Binary protobuf: {@code application/x-protobuf}, the Kafka exporter's {@code otlp_proto}. */
    PROTOBUF("application/x-protobuf", "otlp_proto"),
    /** The OTLP JSON mapping (hex ids): {@code application/json}, the Kafka exporter's {@code otlp_json}. */
    JSON("application/json", "otlp_json");

    private final String mediaType;
    private final String kafkaEncoding;

    OtlpEncoding(String mediaType, String kafkaEncoding) {
        this.mediaType = mediaType;
        this.kafkaEncoding = kafkaEncoding;
    }

    public String mediaType() {
        return mediaType;
    }

    public String kafkaEncoding() {
        return kafkaEncoding;
    }

    /** The encoding of a Content-Type header value (parameters ignored), or null when it is neither. */
    public static OtlpEncoding ofContentType(String contentType) {
        if (contentType == null) {
            return null;
        }
        String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return switch (type) {
            case "application/x-protobuf", "application/protobuf", "otlp_proto" -> PROTOBUF;
            case "application/json", "otlp_json" -> JSON;
            default -> null;
        };
    }

    /**
     * The encoding of a Kafka record the Collector wrote (it sets no header): JSON when the first non-blank byte is
     * '{' (a protobuf ExportTraceServiceRequest never starts so), else protobuf.
     */
    public static OtlpEncoding sniff(byte[] value) {
        for (byte b : value) {
            if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                continue;
            }
            return b == '{' ? JSON : PROTOBUF;
        }
        return PROTOBUF;
    }
}
