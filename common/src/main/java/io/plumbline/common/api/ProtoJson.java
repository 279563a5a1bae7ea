package io.plumbline.common.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * Messages in columns: settings as text in their proto3 JSON mapping (readable with psql), whole records as protobuf
 * bytes; and the time conversions every service needs between rows and messages.
 */
public final class ProtoJson {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private ProtoJson() {
    }

    public static String print(Message message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + message.getDescriptorForType().getName(), e);
        }
    }

    /** Parses JSON that this service stored; unknown fields (from a newer version) are ignored. */
    @SuppressWarnings("unchecked")
    public static <T extends Message> T parse(String json, T prototype) {
        Message.Builder builder = prototype.newBuilderForType();
        try {
            PARSER.merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored JSON does not parse as " + prototype.getDescriptorForType().getName(), e);
        }
        return (T) builder.build();
    }

    /** Parses protobuf bytes that this service stored (a whole message kept in a bytea column). */
    @SuppressWarnings("unchecked")
    public static <T extends Message> T parseBytes(byte[] bytes, T prototype) {
        try {
            return (T) prototype.newBuilderForType().mergeFrom(bytes).build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored bytes are not a " + prototype.getDescriptorForType().getName(), e);
        }
    }

    public static Timestamp timestamp(OffsetDateTime time) {
        if (time == null) {
            return Timestamp.getDefaultInstance();
        }
        return Timestamp.newBuilder().setSeconds(time.toEpochSecond()).setNanos(time.getNano()).build();
    }

    /** The time at the database's precision (microseconds), in UTC. */
    public static OffsetDateTime offsetDateTime(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos()).truncatedTo(ChronoUnit.MICROS)
                .atOffset(ZoneOffset.UTC);
    }

    /** Now, at the database's precision (microseconds), so that what a write returns equals what a read returns. */
    public static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }
}
