package io.plumbline.annotation.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Proto messages in and out of columns (proto3 JSON for settings, bytes for whole records) and timestamps. */
public final class ProtoColumns {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private ProtoColumns() {
    }

    public static String json(Message message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    public static <M extends Message> M fromJson(String json, Message.Builder builder) {
        try {
            PARSER.merge(json, builder);
            return (M) builder.build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored JSON is not a " + builder.getDescriptorForType().getName(), e);
        }
    }

    @SuppressWarnings("unchecked")
    public static <M extends Message> M fromBytes(byte[] bytes, Message.Builder builder) {
        try {
            return (M) builder.mergeFrom(bytes).build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored bytes are not a " + builder.getDescriptorForType().getName(), e);
        }
    }

    /** Now, at the database's precision (microseconds), so that what is returned equals what is read back. */
    public static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    public static Timestamp timestamp(OffsetDateTime time) {
        if (time == null) {
            return Timestamp.getDefaultInstance();
        }
        Instant i = time.toInstant();
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    public static OffsetDateTime time(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos()).atOffset(ZoneOffset.UTC);
    }
}
