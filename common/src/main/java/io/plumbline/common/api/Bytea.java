package io.plumbline.common.api;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

/**
 * {@code bytea} values of the reactive PostgreSQL client without copies: {@code Buffer.buffer(byte[])} copies the array
 * into a new buffer and {@code Buffer.getBytes()} copies a column's value out again. On the intake's hot path (span
 * snapshots stored and read back, megabytes a second) those copies were a tenth of what the JVM allocated.
 */
public final class Bytea {

    private Bytea() {
    }

    /** The array as a parameter, wrapped rather than copied: the caller must not change it afterwards. */
    public static Buffer wrap(byte[] bytes) {
        return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
    }

    /** A message stored as {@code bytea}, parsed from the column's buffer where it lies. */
    @SuppressWarnings("unchecked")
    public static <T extends Message> T parse(Buffer stored, T prototype) {
        try {
            return (T) prototype.newBuilderForType()
                    .mergeFrom(CodedInputStream.newInstance(stored.getByteBuf().nioBuffer())).build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored bytes are not a " + prototype.getDescriptorForType().getName(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
